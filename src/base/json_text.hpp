#pragma once
// JSON text written straight into a std::string: the primitives of the hot-path renderers
// (chat/wire_text.hpp). Escaping matches boost::json::serialize byte for byte: \" \\ \b \f \n \r
// \t, other control characters as \u00xx, everything else (UTF-8 included) verbatim.
#include <algorithm>
#include <array>
#include <cassert>
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

// Upper bound of the text of a string of n bytes: quotes, and at most 6 bytes ("\u00xx") a byte.
constexpr std::size_t str_bound(std::size_t n) { return 2 + 6 * n; }
inline constexpr std::size_t kIdBound = 26;                    // "24 hex digits"
inline constexpr std::size_t kTimeBound = kIso8601Length + 2;  // "2024-01-01T00:00:00.000Z"
inline constexpr std::size_t kIntBound = 20;                   // -9223372036854775808

// Writes JSON at a raw position of a buffer the caller sized beforehand with the bounds above
// (append_bounded): no capacity check per piece, literal keys copied with fixed-size moves.
class Cursor {
 public:
  explicit Cursor(char* p) : p_(p) {}
  char* pos() const { return p_; }

  // A literal written verbatim (keys, punctuation): lit("{\"id\":").
  template <std::size_t N>
  void lit(const char (&s)[N]) {
    std::memcpy(p_, s, N - 1);
    p_ += N - 1;
  }
  void ch(char c) { *p_++ = c; }

  void str(std::string_view s) {
    *p_++ = '"';
    const char* in = s.data();
    const char* const end = in + s.size();
    // Most text needs no escaping: copy it 8 bytes at a time.
    while (end - in >= 8) {
      std::uint64_t w;
      std::memcpy(&w, in, 8);
      if (!detail::needs_escape8(w)) {
        std::memcpy(p_, &w, 8);
        p_ += 8;
        in += 8;
        continue;
      }
      for (const char* stop = in + 8; in < stop; ++in) put_char(*in);
    }
    while (in < end) put_char(*in++);
    *p_++ = '"';
  }

  void opt_str(const std::optional<std::string>& s) {
    if (s) str(*s);
    else lit("null");
  }

  void integer(std::int64_t v) { p_ = std::to_chars(p_, p_ + kIntBound, v).ptr; }

  void boolean(bool v) {
    if (v) lit("true");
    else lit("false");
  }

  // ObjectId hex and ISO-8601 times need no escaping.
  void id(const base::ObjectId& v) {
    *p_++ = '"';
    for (std::size_t i = 0; i < 12; ++i) std::memcpy(p_ + 2 * i, &kHexPairs[2 * v.bytes()[i]], 2);
    p_ += 24;
    *p_++ = '"';
  }

  void time(std::int64_t millis) {
    *p_++ = '"';
    format_iso8601_to(millis, p_);
    p_ += kIso8601Length;
    *p_++ = '"';
  }

  void opt_time(const std::optional<std::int64_t>& millis) {
    if (millis) time(*millis);
    else lit("null");
  }

 private:
  static constexpr char kHex[] = "0123456789abcdef";
  // "000102...ff": the two hex digits of every byte value.
  static constexpr auto kHexPairs = [] {
    std::array<char, 512> t{};
    for (std::size_t b = 0; b < 256; ++b) {
      t[2 * b] = kHex[b >> 4];
      t[2 * b + 1] = kHex[b & 0xF];
    }
    return t;
  }();

  void put_char(char raw) {
    const auto c = static_cast<unsigned char>(raw);
    if (c >= 0x20 && c != '"' && c != '\\') {
      *p_++ = raw;
      return;
    }
    *p_++ = '\\';
    switch (c) {
      case '"': *p_++ = '"'; break;
      case '\\': *p_++ = '\\'; break;
      case '\b': *p_++ = 'b'; break;
      case '\f': *p_++ = 'f'; break;
      case '\n': *p_++ = 'n'; break;
      case '\r': *p_++ = 'r'; break;
      case '\t': *p_++ = 't'; break;
      default:
        lit("u00");
        *p_++ = kHex[c >> 4];
        *p_++ = kHex[c & 0xF];
    }
  }

  char* p_;
};

// Appends what `write(Cursor&)` writes, which must be at most `bound` bytes: the string grows
// once (geometrically, as by append) and is cut back to what was written.
template <class Write>
void append_bounded(std::string& out, std::size_t bound, Write&& write) {
  const std::size_t old = out.size();
  out.resize(old + bound);
  Cursor c(out.data() + old);
  write(c);
  const auto written = static_cast<std::size_t>(c.pos() - (out.data() + old));
  assert(written <= bound);
  out.resize(old + written);
}

inline void str(std::string& out, std::string_view s) {
  append_bounded(out, str_bound(s.size()), [&](Cursor& c) { c.str(s); });
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

}  // namespace base::json_text
