#pragma once
// Wall-clock time as Unix milliseconds, and its ISO-8601 rendering.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace base {

using UnixMillis = std::int64_t;

UnixMillis now_millis();
// "2023-12-07T10:30:00.000Z" (UTC, milliseconds, 'Z').
std::string format_iso8601(UnixMillis t);

}  // namespace base
