#pragma once
// The chat use cases. REST (api/) and Socket.IO (realtime/) both call these, so validation,
// authorization, persistence and notification happen on one code path.
//
// Reads run synchronously on the caller's thread (the store's reads never wait for writes).
// Writes are awaitables that complete after the store has durably committed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/asio.hpp"
#include "chat/error.hpp"
#include "chat/notifier.hpp"
#include "chat/presence.hpp"
#include "chat/store.hpp"
#include "chat/types.hpp"

namespace chat {

struct ServiceOptions {
  std::size_t max_message_length = 4096;  // characters
  int search_default_limit = 10;
  int search_max_limit = 50;
  std::int64_t history_default_limit = 50;
  std::int64_t history_max_limit = 100;
};

struct LoginInput {
  std::optional<std::string> email;
  std::optional<std::string> name;
  std::optional<std::string> profile_image;
};

struct SendInput {
  std::optional<std::string> to_email;
  std::optional<std::string> message;
  std::optional<std::string> message_type;
  std::optional<std::string> reply_to;  // absent/null = none
};

struct UserView {
  User user;
  bool is_online = false;
};

class Service {
 public:
  // All references must outlive the Service.
  Service(Store& store, Presence& presence, Notifier& notifier, ServiceOptions opts);

  // Creates the user on first login; updates name/profile_image when given later.
  base::awaitable<Result<User>> login(LoginInput in);
  // The caller's own record; Errc::user_not_found when it does not exist.
  Result<UserView> me(std::string_view caller);
  Result<std::vector<UserView>> search(std::string_view caller, std::optional<std::string> query,
                                       std::optional<std::int64_t> limit);
  Result<std::vector<ConversationSummary>> conversations(std::string_view caller);
  base::awaitable<Result<Conversation>> start_conversation(std::string caller,
                                                           std::optional<std::string> to_email);
  Result<std::vector<Message>> messages(std::string_view caller, std::string_view conversation_id,
                                        std::optional<std::int64_t> skip,
                                        std::optional<std::int64_t> limit);
  base::awaitable<Result<Conversation>> mark_read(std::string caller, std::string conversation_id);
  base::awaitable<Result<AppendResult>> send_message(std::string caller, SendInput in);
  // The conversation, if the caller takes part in it (Errc::conversation_not_found /
  // Errc::forbidden otherwise).
  Result<Conversation> authorize(std::string_view caller, std::string_view conversation_id);
  // Users who share a conversation with `email`.
  Result<std::vector<std::string>> contacts(std::string_view email);
  // Persists a presence change time (last_seen). Fire and forget: until it commits, me() takes
  // the time from Presence.
  void touch_last_seen(std::string email, UnixMillis when);

  const ServiceOptions& options() const { return opts_; }
  Store& store() { return store_; }

 private:
  Store& store_;
  Presence& presence_;
  Notifier& notifier_;
  ServiceOptions opts_;
};

}  // namespace chat
