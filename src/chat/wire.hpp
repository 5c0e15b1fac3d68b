#pragma once
// JSON shapes of chat values as the API document gives them, shared by REST and Socket.IO so
// both render a message identically. `sp`: the memory resource of the result (pass a
// monotonic_resource when rendering a list).
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>

#include "chat/types.hpp"

namespace chat::wire {

// {email, name, profile_image}
boost::json::object user_brief(const User& u);
// {id, conversation_id, sender_email, sender_name, message, timestamp, message_type, edited, reply_to}
boost::json::object message(const Message& m, boost::json::storage_ptr sp = {});
// {conversation_id, participants}
boost::json::object conversation(const Conversation& c, boost::json::storage_ptr sp = {});
// {conversation_id, participants, last_message, last_message_time, last_message_sender, unread_count}
boost::json::object conversation_summary(const ConversationSummary& s,
                                         boost::json::storage_ptr sp = {});
// {conversation_id, sender_email, sender_name, message}
boost::json::object message_notification(const Message& m);

}  // namespace chat::wire
