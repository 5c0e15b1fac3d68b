#pragma once
// JSON text written straight into a std::string: the primitives of the hot-path renderers
// (chat/wire_text.hpp). Escaping matches boost::json::serialize byte for byte: \" \\ \b \f \n \r
// \t, other control characters as \u00xx, everything else (UTF-8 included) verbatim.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/object_id.hpp"

namespace base::json_text {

namespace detail {
// True when one of the 8 bytes of `w` needs escaping (< 0x20, '"' or '\\'): the "has less" and
// "has zero byte" word tests, exact for whether any byte matches.
constexpr bool needs_escape8(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  const std::uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
  const std::uint64_t quote = (q - kOnes) & ~q & kHigh, backslash = (b - kOnes) & ~b & kHigh;
  return (below_space | quote | backslash) != 0;
}
}  // namespace detail

inline void str(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  const std::size_t n = s.size();
  std::size_t run = 0;  // start of the pending run of characters copied verbatim
  std::size_t i = 0;
  while (i < n) {
    // Most text needs no escaping: skip it 8 bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!detail::needs_escape8(w)) {
        i += 8;
        continue;
      }
    }
    for (const std::size_t end = std::min(n, i + 8); i < end; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out.append(s.data() + run, i - run);
      run = i + 1;
      out.push_back('\\');
      switch (c) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '\b': out.push_back('b'); break;
        case '\f': out.push_back('f'); break;
        case '\n': out.push_back('n'); break;
        case '\r': out.push_back('r'); break;
        case '\t': out.push_back('t'); break;
        default:
          out.append("u00", 3);
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
      }
    }
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

inline void opt_str(std::string& out, const std::optional<std::string>& s) {
  if (s) str(out, *s);
  else out.append("null", 4);
}

inline void integer(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

inline void boolean(std::string& out, bool v) {
  if (v) out.append("true", 4);
  else out.append("false", 5);
}

// `[r(x0),r(x1),...]` where `render(out, x)` appends one element.
template <class Range, class Render>
void array(std::string& out, const Range& items, Render&& render) {
  out.push_back('[');
  bool first = true;
  for (const auto& x : items) {
    if (!first) out.push_back(',');
    first = false;
    render(out, x);
  }
  out.push_back(']');
}

// ObjectId hex and ISO-8601 times need no escaping.
inline void id(std::string& out, const base::ObjectId& v) {
  static constexpr char hex[] = "0123456789abcdef";
  char buf[26];
  buf[0] = buf[25] = '"';
  for (std::size_t i = 0; i < 12; ++i) {
    buf[1 + 2 * i] = hex[v.bytes()[i] >> 4];
    buf[2 + 2 * i] = hex[v.bytes()[i] & 0xF];
  }
  out.append(buf, sizeof buf);
}

inline void time(std::string& out, std::int64_t millis) {
  char buf[kIso8601Length + 2];
  buf[0] = buf[kIso8601Length + 1] = '"';
  format_iso8601_to(millis, buf + 1);
  out.append(buf, sizeof buf);
}

inline void opt_time(std::string& out, const std::optional<std::int64_t>& millis) {
  if (millis) time(out, *millis);
  else out.append("null", 4);
}

}  // namespace base::json_text
