#include "realtime/errors.hpp"

namespace realtime {

std::string error_message(const chat::Error& e, std::string_view operation_failed) {
  using chat::Errc;
  switch (e.code) {
    case Errc::unauthenticated: return "User not authenticated";
    case Errc::user_not_found: return "Sender not found";
    case Errc::recipient_not_found: return "Recipient not found";
    case Errc::conversation_not_found: return "Conversation not found";
    case Errc::forbidden: return "Access denied";
    case Errc::self_conversation:
    case Errc::invalid: return e.message;
    case Errc::unavailable:
    case Errc::internal: break;
  }
  return std::string(operation_failed);
}

}  // namespace realtime
