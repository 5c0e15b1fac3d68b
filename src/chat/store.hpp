#pragma once
// chat::Store: the persistence port. Implemented by storage/sqlite (and later storage/postgres).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/error.hpp"
#include "chat/types.hpp"

namespace chat {

template <class T>
using Callback = std::function<void(Result<T>)>;

class Store {
 public:
  virtual ~Store() = default;

  // ---- Reads. Thread-safe, callable from any thread; they see the latest committed state and
  // never wait for the writer. Failures: Errc::unavailable / Errc::internal.
  virtual Result<std::optional<User>> find_user(std::string_view email) = 0;
  // Case-insensitive literal substring match on email or name (no pattern syntax: '%', '_' and
  // '\' match themselves). Excludes `exclude_email`. Exact matches first, then prefix matches,
  // then the rest; ties by email. At most `limit` users.
  virtual Result<std::vector<User>> search_users(std::string_view needle,
                                                 std::string_view exclude_email, int limit) = 0;
  virtual Result<std::optional<Conversation>> find_conversation(const ConversationId& id) = 0;
  // The user's conversations by last activity (last message time, else creation time), newest
  // first, with that user's unread count.
  virtual Result<std::vector<ConversationSummary>> list_conversations(std::string_view email) = 0;
  // Newest `limit` messages after skipping the newest `skip`, returned oldest first.
  virtual Result<std::vector<Message>> list_messages(const ConversationId& id, std::int64_t skip,
                                                     std::int64_t limit) = 0;
  // Emails of every user who shares a conversation with `email` (not including `email`).
  virtual Result<std::vector<std::string>> contacts(std::string_view email) = 0;
  // True when the database answers a trivial query.
  virtual bool healthy() = 0;

  // ---- Writes. Queued to one writer thread that commits many queued writes in one transaction
  // (group commit). `done` runs on the writer thread after the transaction is durable (or failed);
  // it must not block. After close() writes fail with Errc::unavailable.

  // Creates the user or updates the given fields. Returns the stored user.
  virtual void upsert_user(UserUpsert in, Callback<User> done) = 0;
  // Returns the direct conversation of the two users, creating it if needed. Exactly one
  // conversation exists per pair, whichever order and however many concurrent calls.
  virtual void start_conversation(std::string a, std::string b, UnixMillis now,
                                  Callback<Conversation> done) = 0;
  // With in.resolve_users, checks that both users exist and fills in.sender_name (see NewMessage).
  // Gets or creates the sender/recipient conversation, validates reply_to (must be a message of
  // that conversation, else Errc::invalid with field "reply_to"), inserts the message, updates the
  // conversation's last message and increments every other participant's unread count.
  // The message's id and timestamp are assigned by the writer in commit order (the values in
  // `in` are replaced), so history order, id order and timestamp order agree.
  virtual void append_message(NewMessage in, Callback<AppendResult> done) = 0;
  // Sets the user's unread count in the conversation to 0.
  virtual void mark_read(ConversationId id, std::string email, UnixMillis now,
                         Callback<Done> done) = 0;
  virtual void set_last_seen(std::string email, UnixMillis when, Callback<Done> done) = 0;

  // Stops accepting writes, commits everything queued, and joins the writer. Idempotent.
  virtual void close() = 0;
};

}  // namespace chat
