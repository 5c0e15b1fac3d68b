#pragma once
// Logging: spdlog's default logger, configured once at startup by app.
#include <spdlog/spdlog.h>

#include <string_view>

namespace base {
// level: trace|debug|info|warn|error|off. Returns false for an unknown level name.
bool init_logging(std::string_view level);
}  // namespace base
