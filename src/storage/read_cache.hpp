#pragma once
// storage::ReadCache: the hot rows of a store that is the only writer of its database, kept in
// memory within a byte budget: users, conversations, each user's conversation list (with that
// user's unread counts) and the newest messages of each conversation.
//
// Coherence. The store's writer calls begin_commit() just before COMMIT and end_commit(changes)
// after it, before the writes' callbacks run (a caller that saw its write succeed reads it back).
// A reader that misses reads the database and offers the rows back with the generation it was
// given at the miss. They are kept only if no commit began since and none was in flight at the
// miss: otherwise the rows may predate a change the cache has applied, or include one it is about
// to apply a second time. Conversations are immutable once created and kept unconditionally.
//
// Thread-safe: one mutex; the sections under it copy pointers and small values.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chat/types.hpp"
#include "storage/lru.hpp"

namespace storage {

struct ObjectIdHash {
  std::size_t operator()(const base::ObjectId& id) const noexcept;
};
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

class ReadCache {
 public:
  using Generation = std::uint64_t;

  // What a committed write changed, in commit order.
  struct UserStored {  // upsert_user: the row as stored
    chat::User user;
  };
  struct LastSeen {
    std::string email;
    chat::UnixMillis when;
  };
  struct ConversationCreated {  // start_conversation created it
    chat::Conversation conversation;
  };
  struct MessageAppended {
    std::shared_ptr<const chat::Message> message;
    chat::Conversation conversation;
    bool conversation_created;
  };
  struct MarkedRead {
    chat::ConversationId id;
    std::string email;
  };
  using Change = std::variant<UserStored, LastSeen, ConversationCreated, MessageAppended, MarkedRead>;

  // `tail_length`: messages kept per conversation (history pages of skip + limit up to it are
  // answered from memory).
  ReadCache(std::size_t budget_bytes, std::size_t tail_length);

  // The user's entries etc. below; `budget_bytes` is shared as users 1/8, conversations 1/8,
  // conversation lists 1/4, history tails 1/2.

  std::size_t tail_length() const { return tail_length_; }

  // ---- Readers. A miss sets `gen` for the matching fill.
  std::optional<chat::User> user(std::string_view email, Generation& gen);
  void fill_user(const chat::User& u, Generation gen);

  std::optional<chat::Conversation> conversation(const chat::ConversationId& id);
  void fill_conversation(const chat::Conversation& c);

  // The user's conversations with their unread counts, in no particular order.
  std::optional<std::vector<chat::ConversationSummary>> conversations_of(std::string_view email,
                                                                         Generation& gen);
  void fill_conversations_of(std::string_view email,
                             const std::vector<chat::ConversationSummary>& list, Generation gen);

  // The newest `limit` messages after skipping the newest `skip`, oldest first, when the cached
  // tail covers them (skip + limit within the tail, or the tail is the whole history).
  std::optional<std::vector<chat::Message>> messages(const chat::ConversationId& id,
                                                     std::int64_t skip, std::int64_t limit,
                                                     Generation& gen);
  // `newest_first`: the conversation's newest messages (at most tail_length()); `whole`: they are
  // all its messages.
  void fill_messages(const chat::ConversationId& id, const std::vector<chat::Message>& newest_first,
                     bool whole, Generation gen);

  // ---- The writer: before COMMIT, then after it with what the committed writes changed (or
  // abandon_commit() when COMMIT failed: the cache is emptied, the outcome being unknown).
  void begin_commit();
  void end_commit(const std::vector<Change>& changes);
  void abandon_commit();

 private:
  struct Tail {
    std::deque<std::shared_ptr<const chat::Message>> messages;  // oldest first
    bool whole = false;       // no older messages exist
    std::size_t bytes = 128;  // estimate, kept up to date
    void push_back(std::shared_ptr<const chat::Message> m);
    void pop_front();
  };
  using Summaries = std::vector<chat::ConversationSummary>;

  // Rows read at `gen` may be kept: no commit began since, and none was in flight then.
  bool fresh(Generation gen) const { return gen == generation_ && gen % 2 == 0; }
  void apply_one(const UserStored& c);
  void apply_one(const LastSeen& c);
  void apply_one(const ConversationCreated& c);
  void apply_one(const MessageAppended& c);
  void apply_one(const MarkedRead& c);
  void add_to_list(const chat::Conversation& c, const chat::Message* last, const std::string& email);

  const std::size_t tail_length_;
  std::mutex mu_;
  // Odd while a commit is in flight (between begin_commit and end_commit): no fill is kept.
  Generation generation_ = 0;
  Lru<std::string, chat::User, StringHash> users_;
  Lru<base::ObjectId, chat::Conversation, ObjectIdHash> conversations_;
  Lru<std::string, Summaries, StringHash> lists_;
  Lru<base::ObjectId, Tail, ObjectIdHash> tails_;
};

}  // namespace storage
