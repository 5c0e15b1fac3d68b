#pragma once
#include <filesystem>
#include <string>

namespace app {
// The JWT secret kept in `<data_dir>/jwt-secret`: read if present, else 32 random bytes are
// generated, written with mode 0600 and returned. Throws std::runtime_error on I/O failure.
std::string load_or_create_secret(const std::filesystem::path& data_dir);
}  // namespace app
