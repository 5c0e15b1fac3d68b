#include "base/clock.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>

namespace base {

UnixMillis now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
// Days since 1970-01-01 → civil date (H. Hinnant's algorithm; no locale, no libc time zone).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

void put(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}
}  // namespace

void format_iso8601_to(UnixMillis t, char* out) {
  // Hot path (every message rendered): no snprintf, no gmtime.
  std::int64_t ms = t % 1000;
  std::int64_t secs = t / 1000;
  if (ms < 0) { ms += 1000; --secs; }
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) { sod += 86400; --days; }
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  std::memcpy(out, "0000-00-00T00:00:00.000Z", kIso8601Length);
  put(out, static_cast<unsigned>(y < 0 ? 0 : y % 10000), 4);
  put(out + 5, m, 2);
  put(out + 8, d, 2);
  put(out + 11, static_cast<unsigned>(sod / 3600), 2);
  put(out + 14, static_cast<unsigned>(sod / 60 % 60), 2);
  put(out + 17, static_cast<unsigned>(sod % 60), 2);
  put(out + 20, static_cast<unsigned>(ms), 3);
}

std::string format_iso8601(UnixMillis t) {
  std::string out(kIso8601Length, '0');
  format_iso8601_to(t, out.data());
  return out;
}

}  // namespace base
