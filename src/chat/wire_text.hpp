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

// Each shape is written in one pass through a Cursor into space sized by an upper bound: the
// fixed text (keys, ids, times, numbers) plus the escaping bound of every free-text field.

// The members a message and its notification share, in wire order, without braces.
inline constexpr std::size_t kMessageCoreFixed = 64 + kIdBound;
inline std::size_t message_core_bound(const chat::Message& m) {
  return kMessageCoreFixed + str_bound(m.sender_email.size()) + str_bound(m.sender_name.size()) +
         str_bound(m.body.size());
}
inline void message_core(Cursor& c, const chat::Message& m) {
  c.lit("\"conversation_id\":");
  c.id(m.conversation_id);
  c.lit(",\"sender_email\":");
  c.str(m.sender_email);
  c.lit(",\"sender_name\":");
  c.str(m.sender_name);
  c.lit(",\"message\":");
  c.str(m.body);
}

// chat::wire::message
inline void message(std::string& out, const chat::Message& m) {
  const auto type = chat::to_string(m.type);
  const std::size_t bound = message_core_bound(m) + 96 + 2 * kIdBound + kTimeBound +
                            str_bound(type.size());
  append_bounded(out, bound, [&](Cursor& c) {
    c.lit("{\"id\":");
    c.id(m.id);
    c.ch(',');
    message_core(c, m);
    c.lit(",\"timestamp\":");
    c.time(m.timestamp);
    c.lit(",\"message_type\":");
    c.str(type);
    c.lit(",\"edited\":");
    c.boolean(m.edited);
    c.lit(",\"reply_to\":");
    if (m.reply_to) c.id(*m.reply_to);
    else c.lit("null");
    c.ch('}');
  });
}

// chat::wire::message_notification
inline void message_notification(std::string& out, const chat::Message& m) {
  append_bounded(out, message_core_bound(m) + 2, [&](Cursor& c) {
    c.ch('{');
    message_core(c, m);
    c.ch('}');
  });
}

// chat::wire::conversation_summary
inline void conversation_summary(std::string& out, const chat::ConversationSummary& s) {
  std::size_t bound = 160 + kIdBound + kTimeBound + kIntBound;
  for (const auto& p : s.conversation.participants) bound += 1 + str_bound(p.size());
  if (s.last_message) bound += str_bound(s.last_message->size());
  if (s.last_message_sender) bound += str_bound(s.last_message_sender->size());
  append_bounded(out, bound, [&](Cursor& c) {
    c.lit("{\"conversation_id\":");
    c.id(s.conversation.id);
    c.lit(",\"participants\":[");
    bool first = true;
    for (const auto& p : s.conversation.participants) {
      if (!first) c.ch(',');
      first = false;
      c.str(p);
    }
    c.lit("],\"last_message\":");
    c.opt_str(s.last_message);
    c.lit(",\"last_message_time\":");
    c.opt_time(s.last_message_time);
    c.lit(",\"last_message_sender\":");
    c.opt_str(s.last_message_sender);
    c.lit(",\"unread_count\":");
    c.integer(s.unread_count);
    c.ch('}');
  });
}

// chat::wire::user_brief plus is_online (and last_seen when asked).
inline void user_view(std::string& out, const chat::User& u, bool is_online, bool with_last_seen) {
  std::size_t bound = 96 + kTimeBound + str_bound(u.email.size()) + str_bound(u.name.size());
  if (u.profile_image) bound += str_bound(u.profile_image->size());
  append_bounded(out, bound, [&](Cursor& c) {
    c.lit("{\"email\":");
    c.str(u.email);
    c.lit(",\"name\":");
    c.str(u.name);
    c.lit(",\"profile_image\":");
    c.opt_str(u.profile_image);
    c.lit(",\"is_online\":");
    c.boolean(is_online);
    if (with_last_seen) {
      c.lit(",\"last_seen\":");
      c.opt_time(u.last_seen);
    }
    c.ch('}');
  });
}

}  // namespace chat::wire_text
