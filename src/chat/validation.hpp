#pragma once
// Input rules shared by REST and Socket.IO. Each returns the normalised value or an
// Errc::invalid error whose `field` names the input.
#include <optional>
#include <string>
#include <string_view>

#include "chat/error.hpp"
#include "chat/types.hpp"

namespace chat {

// Trimmed, lower-cased; local@domain with a dotted domain, no spaces, at most 254 characters.
Result<std::string> normalize_email(std::string_view raw, std::string_view field = "email");
// Trimmed; 1–100 characters of valid UTF-8.
Result<std::string> validate_name(std::string_view raw);
// Absent or empty → nullopt; otherwise an absolute http/https URL with a host, ≤ 2048 bytes.
Result<std::optional<std::string>> validate_profile_image(std::optional<std::string_view> raw);
// Non-blank valid UTF-8 of at most `max_chars` code points. Returned unchanged (not trimmed).
Result<std::string> validate_message_body(std::string_view raw, std::size_t max_chars);
// text|image|file; absent → text.
Result<MessageType> validate_message_type(std::optional<std::string_view> raw);
// A 24-hex id; anything else → Errc::conversation_not_found.
Result<ConversationId> parse_conversation_id(std::string_view raw);

}  // namespace chat
