#pragma once
// Wall-clock time as Unix milliseconds, and its ISO-8601 rendering.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace base {

using UnixMillis = std::int64_t;

UnixMillis now_millis();
inline constexpr std::size_t kIso8601Length = 24;
// "2023-12-07T10:30:00.000Z" (UTC, milliseconds, 'Z').
std::string format_iso8601(UnixMillis t);
// The same 24 characters written to `out` (no allocation, for renderers).
void format_iso8601_to(UnixMillis t, char* out);

}  // namespace base
