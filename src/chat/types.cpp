#include "chat/types.hpp"

namespace chat {

std::string_view to_string(MessageType t) {
  switch (t) {
    case MessageType::text: return "text";
    case MessageType::image: return "image";
    case MessageType::file: return "file";
  }
  return "text";
}

std::optional<MessageType> parse_message_type(std::string_view s) {
  if (s == "text") return MessageType::text;
  if (s == "image") return MessageType::image;
  if (s == "file") return MessageType::file;
  return std::nullopt;
}

}  // namespace chat
