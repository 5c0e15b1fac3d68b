#pragma once
// MongoDB ObjectId layout: 4-byte big-endian seconds, 5 random bytes chosen once per process,
// 3-byte big-endian counter starting at a random value. Rendered as 24 lowercase hex characters.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace base {

class ObjectId {
 public:
  // A new id for the current time. Thread-safe; unique within the process (2^24 per second
  // before the counter wraps) and, through the random part, across processes.
  static ObjectId generate();
  static ObjectId generate(std::uint32_t unix_seconds);
  // Parses exactly 24 hex characters (either case); nullopt otherwise.
  static std::optional<ObjectId> parse(std::string_view hex);
  static bool is_valid(std::string_view hex) { return parse(hex).has_value(); }

  std::string hex() const;
  std::uint32_t seconds() const;
  const std::array<std::uint8_t, 12>& bytes() const { return bytes_; }
  friend bool operator==(const ObjectId&, const ObjectId&) = default;
  friend auto operator<=>(const ObjectId&, const ObjectId&) = default;

 private:
  std::array<std::uint8_t, 12> bytes_{};
};

// Random bytes from the OS CSPRNG (OpenSSL RAND_bytes). Throws std::runtime_error on failure.
void random_bytes(void* out, std::size_t n);
// n random bytes rendered as URL-safe base64 without padding.
std::string random_token(std::size_t n);

}  // namespace base
