#pragma once
// Direct JSON rendering of the REST responses on hot paths: appends to one std::string, no
// boost::json value tree (one node and one string copy per field, then a second pass to
// serialize). Output is byte-identical to boost::json::serialize of the chat::wire shapes
// (same key order, same escaping: \" \\ \b \f \n \r \t, other control characters as \u00xx,
// everything else, UTF-8 included, verbatim).
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/object_id.hpp"
#include "chat/types.hpp"

namespace api::json_out {

inline void str(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of characters copied verbatim
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    switch (c) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '\b': out.push_back('b'); break;
      case '\f': out.push_back('f'); break;
      case '\n': out.push_back('n'); break;
      case '\r': out.push_back('r'); break;
      case '\t': out.push_back('t'); break;
      default:
        out.append("u00", 3);
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

inline void opt_str(std::string& out, const std::optional<std::string>& s) {
  if (s) str(out, *s);
  else out.append("null", 4);
}

inline void integer(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

inline void boolean(std::string& out, bool v) {
  if (v) out.append("true", 4);
  else out.append("false", 5);
}

// `[r(x0),r(x1),...]` where `render(out, x)` appends one element.
template <class Range, class Render>
void array(std::string& out, const Range& items, Render&& render) {
  out.push_back('[');
  bool first = true;
  for (const auto& x : items) {
    if (!first) out.push_back(',');
    first = false;
    render(out, x);
  }
  out.push_back(']');
}

// ObjectId hex and ISO-8601 times need no escaping.
inline void id(std::string& out, const base::ObjectId& v) {
  static constexpr char hex[] = "0123456789abcdef";
  char buf[26];
  buf[0] = buf[25] = '"';
  for (std::size_t i = 0; i < 12; ++i) {
    buf[1 + 2 * i] = hex[v.bytes()[i] >> 4];
    buf[2 + 2 * i] = hex[v.bytes()[i] & 0xF];
  }
  out.append(buf, sizeof buf);
}

inline void time(std::string& out, std::int64_t millis) {
  out.push_back('"');
  out += base::format_iso8601(millis);
  out.push_back('"');
}

inline void opt_time(std::string& out, const std::optional<std::int64_t>& millis) {
  if (millis) time(out, *millis);
  else out.append("null", 4);
}

// chat::wire::message
inline void message(std::string& out, const chat::Message& m) {
  out.append("{\"id\":", 6);
  id(out, m.id);
  out.append(",\"conversation_id\":");
  id(out, m.conversation_id);
  out.append(",\"sender_email\":");
  str(out, m.sender_email);
  out.append(",\"sender_name\":");
  str(out, m.sender_name);
  out.append(",\"message\":");
  str(out, m.body);
  out.append(",\"timestamp\":");
  time(out, m.timestamp);
  out.append(",\"message_type\":");
  str(out, chat::to_string(m.type));
  out.append(",\"edited\":");
  boolean(out, m.edited);
  out.append(",\"reply_to\":");
  if (m.reply_to) id(out, *m.reply_to);
  else out.append("null", 4);
  out.push_back('}');
}

// chat::wire::conversation_summary
inline void conversation_summary(std::string& out, const chat::ConversationSummary& s) {
  out.append("{\"conversation_id\":");
  id(out, s.conversation.id);
  out.append(",\"participants\":");
  array(out, s.conversation.participants, [](std::string& o, const std::string& p) { str(o, p); });
  out.append(",\"last_message\":");
  opt_str(out, s.last_message);
  out.append(",\"last_message_time\":");
  opt_time(out, s.last_message_time);
  out.append(",\"last_message_sender\":");
  opt_str(out, s.last_message_sender);
  out.append(",\"unread_count\":");
  integer(out, s.unread_count);
  out.push_back('}');
}

// chat::wire::user_brief plus is_online (and last_seen when asked).
inline void user_view(std::string& out, const chat::User& u, bool is_online, bool with_last_seen) {
  out.append("{\"email\":");
  str(out, u.email);
  out.append(",\"name\":");
  str(out, u.name);
  out.append(",\"profile_image\":");
  opt_str(out, u.profile_image);
  out.append(",\"is_online\":");
  boolean(out, is_online);
  if (with_last_seen) {
    out.append(",\"last_seen\":");
    opt_time(out, u.last_seen);
  }
  out.push_back('}');
}

}  // namespace api::json_out
