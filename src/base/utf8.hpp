#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace base {
// Number of Unicode code points in `s`, or nullopt when `s` is not valid UTF-8 (overlongs,
// surrogates and code points above U+10FFFF are invalid).
std::optional<std::size_t> utf8_length(std::string_view s);
// `s` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s);
}  // namespace base
