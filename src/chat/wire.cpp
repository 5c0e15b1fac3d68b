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

json::object message(const Message& m, json::storage_ptr sp) {
  json::object o(9, std::move(sp));
  o.emplace("id", m.id.hex());
  o.emplace("conversation_id", m.conversation_id.hex());
  o.emplace("sender_email", m.sender_email);
  o.emplace("sender_name", m.sender_name);
  o.emplace("message", m.body);
  o.emplace("timestamp", base::format_iso8601(m.timestamp));
  o.emplace("message_type", to_string(m.type));
  o.emplace("edited", m.edited);
  if (m.reply_to) o.emplace("reply_to", m.reply_to->hex());
  else o.emplace("reply_to", nullptr);
  return o;
}

json::object conversation(const Conversation& c, json::storage_ptr sp) {
  json::object o(6, sp);
  o.emplace("conversation_id", c.id.hex());
  json::array ps(sp);
  for (auto& p : c.participants) ps.emplace_back(p);
  o.emplace("participants", std::move(ps));
  return o;
}

json::object conversation_summary(const ConversationSummary& s, json::storage_ptr sp) {
  json::object o = conversation(s.conversation, std::move(sp));
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
