#include "base/object_id.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace base {
namespace {

struct ProcessState {
  std::array<std::uint8_t, 5> random{};
  std::atomic<std::uint32_t> counter{0};
  ProcessState() {
    random_bytes(random.data(), random.size());
    std::uint32_t c = 0;
    random_bytes(&c, sizeof c);
    counter.store(c & 0xFFFFFF);
  }
};

ProcessState& state() {
  static ProcessState s;
  return s;
}

// Hex digit values by byte; 0xFF: not a hex digit. A table lookup per character (ids are parsed
// for every row a history page reads).
constexpr std::array<std::uint8_t, 256> kHexValue = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(0xFF);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'A' + 10);
  return t;
}();

}  // namespace

void random_bytes(void* out, std::size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
}

namespace {
// Random bytes for tokens, drawn from the CSPRNG in blocks: RAND_bytes costs ~9k instructions
// per call (DRBG locking and reseed checks), which made it a tenth of a WebSocket connect. Per
// thread; refilled after a fork so that processes never share bytes.
void token_bytes(char* out, std::size_t n) {
  constexpr std::size_t kBlock = 512;
  thread_local std::array<char, kBlock> pool;
  thread_local std::size_t left = 0;
  thread_local pid_t owner = 0;
  if (pid_t pid = ::getpid(); pid != owner) {
    owner = pid;
    left = 0;
  }
  while (n > 0) {
    if (left == 0) {
      random_bytes(pool.data(), kBlock);
      left = kBlock;
    }
    std::size_t take = std::min(n, left);
    char* src = pool.data() + (kBlock - left);
    std::memcpy(out, src, take);
    std::memset(src, 0, take);  // used bytes do not linger
    out += take;
    n -= take;
    left -= take;
  }
}
}  // namespace

std::string random_token(std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string raw(n, '\0');
  token_bytes(raw.data(), n);
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

ObjectId ObjectId::generate() {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return generate(static_cast<std::uint32_t>(secs));
}

ObjectId ObjectId::generate(std::uint32_t unix_seconds) {
  auto& s = state();
  std::uint32_t c = s.counter.fetch_add(1, std::memory_order_relaxed) & 0xFFFFFF;
  ObjectId id;
  auto& b = id.bytes_;
  b[0] = static_cast<std::uint8_t>(unix_seconds >> 24);
  b[1] = static_cast<std::uint8_t>(unix_seconds >> 16);
  b[2] = static_cast<std::uint8_t>(unix_seconds >> 8);
  b[3] = static_cast<std::uint8_t>(unix_seconds);
  for (int i = 0; i < 5; ++i) b[4 + i] = s.random[i];
  b[9] = static_cast<std::uint8_t>(c >> 16);
  b[10] = static_cast<std::uint8_t>(c >> 8);
  b[11] = static_cast<std::uint8_t>(c);
  return id;
}

std::optional<ObjectId> ObjectId::parse(std::string_view hex) {
  if (hex.size() != 24) return std::nullopt;
  ObjectId id;
  unsigned bad = 0;  // any digit's 0xFF marker, checked once at the end
  for (std::size_t i = 0; i < 12; ++i) {
    const unsigned hi = kHexValue[static_cast<unsigned char>(hex[2 * i])];
    const unsigned lo = kHexValue[static_cast<unsigned char>(hex[2 * i + 1])];
    bad |= hi | lo;
    id.bytes_[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (bad & 0xF0) return std::nullopt;
  return id;
}

std::string ObjectId::hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(24, '0');
  for (std::size_t i = 0; i < 12; ++i) {
    out[2 * i] = kDigits[bytes_[i] >> 4];
    out[2 * i + 1] = kDigits[bytes_[i] & 0xF];
  }
  return out;
}

std::uint32_t ObjectId::seconds() const {
  return std::uint32_t{bytes_[0]} << 24 | std::uint32_t{bytes_[1]} << 16 |
         std::uint32_t{bytes_[2]} << 8 | std::uint32_t{bytes_[3]};
}

}  // namespace base
