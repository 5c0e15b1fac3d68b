// chat::wire_text renders the hot REST responses and Socket.IO message events directly; it must produce exactly what
// boost::json::serialize produces for the chat::wire shapes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "chat/wire.hpp"
#include "chat/wire_text.hpp"

namespace {
namespace json = boost::json;

// The API document's shapes built as boost::json values, key order included: what the direct
// writers must produce byte for byte once serialised.
namespace expected {
json::value opt_string(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

json::object message(const chat::Message& m) {
  json::object o;
  o.emplace("id", m.id.hex());
  o.emplace("conversation_id", m.conversation_id.hex());
  o.emplace("sender_email", m.sender_email);
  o.emplace("sender_name", m.sender_name);
  o.emplace("message", m.body);
  o.emplace("timestamp", base::format_iso8601(m.timestamp));
  o.emplace("message_type", chat::to_string(m.type));
  o.emplace("edited", m.edited);
  if (m.reply_to) o.emplace("reply_to", m.reply_to->hex());
  else o.emplace("reply_to", nullptr);
  return o;
}

json::object conversation_summary(const chat::ConversationSummary& s) {
  json::object o = chat::wire::conversation(s.conversation);
  o["last_message"] = opt_string(s.last_message);
  o["last_message_time"] = s.last_message_time
                               ? json::value(base::format_iso8601(*s.last_message_time))
                               : json::value(nullptr);
  o["last_message_sender"] = opt_string(s.last_message_sender);
  o["unread_count"] = s.unread_count;
  return o;
}

json::object message_notification(const chat::Message& m) {
  json::object o;
  o["conversation_id"] = m.conversation_id.hex();
  o["sender_email"] = m.sender_email;
  o["sender_name"] = m.sender_name;
  o["message"] = m.body;
  return o;
}
}  // namespace expected

const std::string kTricky = std::string("q\"b\\s/ \b\f\n\r\t \x01\x1f\x7f é 😀 <>&") + '\0' + "end";

chat::Message sample_message(bool reply) {
  chat::Message m;
  m.id = *base::ObjectId::parse("65a1b2c3d4e5f60718293a4b");
  m.conversation_id = *base::ObjectId::parse("65a1b2c3d4e5f60718293a4c");
  m.sender_email = "a\"@b.co";
  m.sender_name = kTricky;
  m.body = kTricky + kTricky;
  m.timestamp = 1732579200123;
  m.type = chat::MessageType::image;
  if (reply) m.reply_to = *base::ObjectId::parse("65a1b2c3d4e5f60718293a4d");
  m.edited = reply;
  return m;
}

}  // namespace

TEST(WireText, MessageMatchesWire) {
  for (bool reply : {false, true}) {
    auto m = sample_message(reply);
    std::string out;
    chat::wire_text::message(out, m);
    EXPECT_EQ(out, boost::json::serialize(expected::message(m)));
  }
}

TEST(WireText, ConversationSummaryMatchesWire) {
  chat::ConversationSummary s;
  s.conversation.id = *base::ObjectId::parse("65a1b2c3d4e5f60718293a4c");
  s.conversation.participants = {"a@b.co", kTricky};
  s.conversation.created_at = 1;
  s.unread_count = 1234567890123;
  std::string out;
  chat::wire_text::conversation_summary(out, s);
  EXPECT_EQ(out, boost::json::serialize(expected::conversation_summary(s)));
  s.last_message = kTricky;
  s.last_message_time = 1732579200999;
  s.last_message_sender = "z@y.x";
  s.unread_count = 0;
  out.clear();
  chat::wire_text::conversation_summary(out, s);
  EXPECT_EQ(out, boost::json::serialize(expected::conversation_summary(s)));
}

TEST(WireText, UserViewMatchesWire) {
  chat::User u{"a@b.co", kTricky, std::nullopt, 5, std::nullopt};
  for (int i = 0; i < 2; ++i) {
    for (bool online : {false, true}) {
      for (bool with_last_seen : {false, true}) {
        boost::json::object o = chat::wire::user_brief(u);
        o["is_online"] = online;
        if (with_last_seen)
          o["last_seen"] = u.last_seen ? boost::json::value(base::format_iso8601(*u.last_seen))
                                       : boost::json::value(nullptr);
        std::string out;
        chat::wire_text::user_view(out, u, online, with_last_seen);
        EXPECT_EQ(out, boost::json::serialize(o));
      }
    }
    u.profile_image = "data:image/png;base64,AAAA\"";
    u.last_seen = 1732579200000;
  }
}

TEST(WireText, MessageNotificationMatchesWire) {
  auto m = sample_message(false);
  std::string out;
  chat::wire_text::message_notification(out, m);
  EXPECT_EQ(out, boost::json::serialize(expected::message_notification(m)));
}

// Every length around the 8-byte blocks of the escaper, with the worst case (every byte escaped as
// \u00xx, the 6-byte bound the writers size their space with), none escaped, and mixes.
TEST(WireText, StringsMatchBoostJsonAtEveryLength) {
  for (std::size_t n = 0; n <= 40; ++n) {
    for (int kind = 0; kind < 4; ++kind) {
      std::string s;
      for (std::size_t i = 0; i < n; ++i) {
        switch (kind) {
          case 0: s += '\x01'; break;
          case 1: s += static_cast<char>('a' + i % 26); break;
          case 2: s += (i % 7 == 3) ? '"' : 'x'; break;
          default: s += kTricky[i % kTricky.size()];
        }
      }
      std::string out;
      base::json_text::str(out, s);
      EXPECT_EQ(out, boost::json::serialize(json::value(s))) << "length " << n << " kind " << kind;
      chat::Message m = sample_message(kind % 2 == 0);
      m.sender_email = s;
      m.sender_name = s;
      m.body = s;
      out = "prefix";
      chat::wire_text::message(out, m);
      EXPECT_EQ(out, "prefix" + boost::json::serialize(expected::message(m)));
      out.clear();
      chat::wire_text::message_notification(out, m);
      EXPECT_EQ(out, boost::json::serialize(expected::message_notification(m)));
    }
  }
}
