#pragma once
// JSON shapes of chat values as the API document gives them, as boost::json values, for the
// responses that are not on a hot path (messages, summaries and notifications are written as
// text by chat/wire_text.hpp). `sp`: the memory resource of the result.
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>

#include "chat/types.hpp"

namespace chat::wire {

// {email, name, profile_image}
boost::json::object user_brief(const User& u);
// {conversation_id, participants}
boost::json::object conversation(const Conversation& c, boost::json::storage_ptr sp = {});

}  // namespace chat::wire
