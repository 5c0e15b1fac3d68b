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
    case Errc::self_conversation: return e.message;
    case Errc::invalid:
      // Name the offending field: "message is required", "to_email: value is not a valid ...".
      if (e.field.empty() || e.message.rfind(e.field, 0) == 0) return e.message;
      if (e.type == "value_error.missing") return e.field + " is required";
      return e.field + ": " + e.message;
    case Errc::unavailable:
    case Errc::internal: break;
  }
  return std::string(operation_failed);
}

}  // namespace realtime
