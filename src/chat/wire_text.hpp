#pragma once
// The API document's message, conversation-summary, user and notification shapes rendered directly
// as JSON text for the hot paths (REST responses, the Socket.IO message events and acks): appends
// to one std::string, no boost::json value tree (one node and one string copy per field, then a
// second pass to serialize). Output is byte-identical to boost::json::serialize of the same shapes
// built as values (tests/unit/chat_wire_text_test.cpp).
#include <string>
#include <string_view>

#include "base/json_text.hpp"
#include "chat/types.hpp"

namespace chat::wire_text {

using namespace base::json_text;
using namespace std::string_view_literals;

// The members a message and its notification share, in wire order, without braces.
inline void message_core(std::string& out, const chat::Message& m) {
  out.append("\"conversation_id\":"sv);
  id(out, m.conversation_id);
  out.append(",\"sender_email\":"sv);
  str(out, m.sender_email);
  out.append(",\"sender_name\":"sv);
  str(out, m.sender_name);
  out.append(",\"message\":"sv);
  str(out, m.body);
}

// chat::wire::message
inline void message(std::string& out, const chat::Message& m) {
  out.append("{\"id\":"sv);
  id(out, m.id);
  out.push_back(',');
  message_core(out, m);
  out.append(",\"timestamp\":"sv);
  time(out, m.timestamp);
  out.append(",\"message_type\":"sv);
  str(out, chat::to_string(m.type));
  out.append(",\"edited\":"sv);
  boolean(out, m.edited);
  out.append(",\"reply_to\":"sv);
  if (m.reply_to) id(out, *m.reply_to);
  else out.append("null", 4);
  out.push_back('}');
}

// chat::wire::message_notification
inline void message_notification(std::string& out, const chat::Message& m) {
  out.push_back('{');
  message_core(out, m);
  out.push_back('}');
}

// chat::wire::conversation_summary
inline void conversation_summary(std::string& out, const chat::ConversationSummary& s) {
  out.append("{\"conversation_id\":"sv);
  id(out, s.conversation.id);
  out.append(",\"participants\":"sv);
  array(out, s.conversation.participants, [](std::string& o, const std::string& p) { str(o, p); });
  out.append(",\"last_message\":"sv);
  opt_str(out, s.last_message);
  out.append(",\"last_message_time\":"sv);
  opt_time(out, s.last_message_time);
  out.append(",\"last_message_sender\":"sv);
  opt_str(out, s.last_message_sender);
  out.append(",\"unread_count\":"sv);
  integer(out, s.unread_count);
  out.push_back('}');
}

// chat::wire::user_brief plus is_online (and last_seen when asked).
inline void user_view(std::string& out, const chat::User& u, bool is_online, bool with_last_seen) {
  out.append("{\"email\":"sv);
  str(out, u.email);
  out.append(",\"name\":"sv);
  str(out, u.name);
  out.append(",\"profile_image\":"sv);
  opt_str(out, u.profile_image);
  out.append(",\"is_online\":"sv);
  boolean(out, is_online);
  if (with_last_seen) {
    out.append(",\"last_seen\":"sv);
    opt_time(out, u.last_seen);
  }
  out.push_back('}');
}

}  // namespace chat::wire_text
