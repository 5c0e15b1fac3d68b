#pragma once
// The one mapping from chat::Error to the text of a Socket.IO `error` event.
#include <string>

#include "chat/error.hpp"

namespace realtime {

// `operation_failed` is used for internal failures ("Failed to send message").
std::string error_message(const chat::Error& e, std::string_view operation_failed);

}  // namespace realtime
