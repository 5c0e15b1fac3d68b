#pragma once
// Expected failures of chat operations. api/ maps them to HTTP, realtime/ to socket `error` events,
// each in exactly one function.
#include <string>

#include "base/result.hpp"

namespace chat {

enum class Errc {
  unauthenticated,         // no/invalid token, or its user no longer exists (socket handshake)
  user_not_found,          // the caller's own user record is gone
  recipient_not_found,     // to_email names no user
  conversation_not_found,  // unknown or malformed conversation id
  forbidden,               // caller is not a participant
  self_conversation,       // conversation with yourself
  invalid,                 // validation failure; `field` names the input
  unavailable,             // the store cannot be used right now
  internal,                // a bug or unexpected store failure
};

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::string field;  // for Errc::invalid: the offending input ("email", "message", ...)
  std::string type;   // for Errc::invalid: machine-readable kind ("value_error", "missing", ...)
};

inline Error make_error(Errc c, std::string msg) { return Error{c, std::move(msg), {}, {}}; }
inline Error invalid(std::string field, std::string msg, std::string type = "value_error") {
  return Error{Errc::invalid, std::move(msg), std::move(field), std::move(type)};
}

template <class T>
using Result = base::Result<T, Error>;
using base::Done;
using base::fail;

}  // namespace chat
