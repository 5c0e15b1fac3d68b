#include "chat/wire.hpp"

namespace chat::wire {
namespace json = boost::json;

namespace {
json::value opt_string(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
}  // namespace

json::object user_brief(const User& u) {
  json::object o;
  o["email"] = u.email;
  o["name"] = u.name;
  o["profile_image"] = opt_string(u.profile_image);
  return o;
}

json::object message(const Message& m) {
  json::object o;
  o.reserve(9);
  o["id"] = m.id.hex();
  o["conversation_id"] = m.conversation_id.hex();
  o["sender_email"] = m.sender_email;
  o["sender_name"] = m.sender_name;
  o["message"] = m.body;
  o["timestamp"] = base::format_iso8601(m.timestamp);
  o["message_type"] = to_string(m.type);
  o["edited"] = m.edited;
  o["reply_to"] = m.reply_to ? json::value(m.reply_to->hex()) : json::value(nullptr);
  return o;
}

json::object conversation(const Conversation& c) {
  json::object o;
  o["conversation_id"] = c.id.hex();
  json::array ps;
  for (auto& p : c.participants) ps.emplace_back(p);
  o["participants"] = std::move(ps);
  return o;
}

json::object conversation_summary(const ConversationSummary& s) {
  json::object o = conversation(s.conversation);
  o["last_message"] = opt_string(s.last_message);
  o["last_message_time"] = s.last_message_time
                               ? json::value(base::format_iso8601(*s.last_message_time))
                               : json::value(nullptr);
  o["last_message_sender"] = opt_string(s.last_message_sender);
  o["unread_count"] = s.unread_count;
  return o;
}

json::object message_notification(const Message& m) {
  json::object o;
  o["conversation_id"] = m.conversation_id.hex();
  o["sender_email"] = m.sender_email;
  o["sender_name"] = m.sender_name;
  o["message"] = m.body;
  return o;
}

}  // namespace chat::wire
