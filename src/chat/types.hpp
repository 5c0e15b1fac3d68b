#pragma once
// Chat value types. No I/O, no wire formats: api/ and realtime/ render these.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/object_id.hpp"

namespace chat {

using ConversationId = base::ObjectId;
using MessageId = base::ObjectId;
using base::UnixMillis;

struct User {
  std::string email;  // normalised: trimmed, lower-case; the user's identity
  std::string name;
  std::optional<std::string> profile_image;
  UnixMillis created_at = 0;
  std::optional<UnixMillis> last_seen;  // when the user's presence last changed (socket connect/disconnect)
};

enum class MessageType { text, image, file };
std::string_view to_string(MessageType t);
std::optional<MessageType> parse_message_type(std::string_view s);

struct Message {
  MessageId id;
  ConversationId conversation_id;
  std::string sender_email;
  std::string sender_name;
  std::string body;
  UnixMillis timestamp = 0;
  MessageType type = MessageType::text;
  std::optional<MessageId> reply_to;
  bool edited = false;
};

struct Conversation {
  ConversationId id;
  std::vector<std::string> participants;  // sorted emails; two for a direct conversation
  UnixMillis created_at = 0;
};

// One row of GET /api/conversations, seen by one participant.
struct ConversationSummary {
  Conversation conversation;
  std::optional<std::string> last_message;
  std::optional<UnixMillis> last_message_time;
  std::optional<std::string> last_message_sender;
  std::int64_t unread_count = 0;  // messages from others since this participant last marked read
};

// Input of Store::upsert_user. Absent optionals leave the stored value unchanged.
struct UserUpsert {
  std::string email;
  std::optional<std::string> name;
  std::optional<std::string> profile_image;
  UnixMillis now = 0;
};

// Input of Store::append_message: everything already validated except reply_to (and the users,
// with resolve_users).
// `id` and `timestamp` are assigned by the store.
struct NewMessage {
  MessageId id;
  std::string sender_email;
  std::string sender_name;
  std::string recipient_email;
  std::string body;
  MessageType type = MessageType::text;
  std::optional<MessageId> reply_to;
  UnixMillis timestamp = 0;
  // When true the store checks, in commit order, that both users exist (else Errc::user_not_found
  // "Sender not found" / Errc::recipient_not_found "Recipient not found") and takes sender_name
  // from the sender's record.
  bool resolve_users = false;
};

struct AppendResult {
  Message message;
  Conversation conversation;
  bool conversation_created = false;
};

}  // namespace chat
