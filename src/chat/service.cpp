#include "chat/service.hpp"

#include "base/await_callback.hpp"
#include "base/utf8.hpp"
#include "chat/validation.hpp"

namespace chat {
namespace {

// Runs a store write and awaits its durable completion.
template <class T, class Fn>
base::awaitable<Result<T>> write(Fn&& fn) {
  // Callback<T> is the std::function await_callback hands out: passed on as is, not wrapped.
  static_assert(std::is_same_v<Callback<T>, std::function<void(Result<T>)>>);
  co_return co_await base::await_callback<Result<T>>(std::forward<Fn>(fn));
}

Error user_gone() { return make_error(Errc::user_not_found, "User not found"); }

}  // namespace

Service::Service(Store& store, Presence& presence, Notifier& notifier, ServiceOptions opts)
    : store_(store), presence_(presence), notifier_(notifier), opts_(opts) {}

base::awaitable<Result<User>> Service::login(LoginInput in) {
  auto email = normalize_email(in.email.value_or(""));
  if (!email) co_return fail(std::move(email).error());
  UserUpsert up{*email, std::nullopt, std::nullopt, base::now_millis()};
  if (in.name) {
    auto name = validate_name(*in.name);
    if (!name) co_return fail(std::move(name).error());
    up.name = *name;
  }
  if (in.profile_image) {
    auto img = validate_profile_image(*in.profile_image);
    if (!img) co_return fail(std::move(img).error());
    up.profile_image = *img;
  }
  if (!up.name) {
    // A name is required to create a user; an existing user may log in with the email alone.
    auto existing = store_.find_user(*email);
    if (!existing) co_return fail(std::move(existing).error());
    if (!*existing) co_return fail(invalid("name", "field required", "value_error.missing"));
  }
  co_return co_await write<User>(
      [&](Callback<User> cb) { store_.upsert_user(std::move(up), std::move(cb)); });
}

Result<UserView> Service::me(std::string_view caller) {
  auto u = store_.find_user(caller);
  if (!u) return fail(std::move(u).error());
  if (!*u) return fail(user_gone());
  User user = std::move(**u);
  if (auto t = presence_.last_change(caller); t && (!user.last_seen || *t > *user.last_seen))
    user.last_seen = t;
  return UserView{std::move(user), presence_.is_online(caller)};
}

Result<std::vector<UserView>> Service::search(std::string_view caller,
                                              std::optional<std::string> query,
                                              std::optional<std::int64_t> limit) {
  std::string_view q = query ? base::trim(*query) : std::string_view{};
  if (q.empty()) return fail(invalid("query", "field required", "value_error.missing"));
  if (q.size() > 256)
    return fail(invalid("query", "ensure this value has at most 256 characters",
                        "value_error.any_str.max_length"));
  std::int64_t n = limit.value_or(opts_.search_default_limit);
  if (n < 1 || n > opts_.search_max_limit)
    return fail(invalid("limit",
                        "ensure this value is between 1 and " +
                            std::to_string(opts_.search_max_limit),
                        "value_error.number.not_in_range"));
  auto users = store_.search_users(q, caller, static_cast<int>(n));
  if (!users) return fail(std::move(users).error());
  std::vector<UserView> out;
  out.reserve(users->size());
  for (auto& u : *users) {
    bool online = presence_.is_online(u.email);
    out.push_back(UserView{std::move(u), online});
  }
  return out;
}

Result<std::vector<ConversationSummary>> Service::conversations(std::string_view caller) {
  return store_.list_conversations(caller);
}

base::awaitable<Result<Conversation>> Service::start_conversation(
    std::string caller, std::optional<std::string> to_email) {
  auto to = normalize_email(to_email.value_or(""), "to_email");
  if (!to) co_return fail(std::move(to).error());
  if (*to == caller)
    co_return fail(make_error(Errc::self_conversation, "Cannot start a conversation with yourself"));
  auto me = store_.find_user(caller);
  if (!me) co_return fail(std::move(me).error());
  if (!*me) co_return fail(user_gone());
  auto other = store_.find_user(*to);
  if (!other) co_return fail(std::move(other).error());
  if (!*other) co_return fail(make_error(Errc::recipient_not_found, "User not found"));
  co_return co_await write<Conversation>([&](Callback<Conversation> cb) {
    store_.start_conversation(std::move(caller), std::move(*to), base::now_millis(),
                              std::move(cb));
  });
}

Result<Conversation> Service::authorize(std::string_view caller, std::string_view conversation_id) {
  auto id = parse_conversation_id(conversation_id);
  if (!id) return fail(std::move(id).error());
  auto c = store_.find_conversation(*id);
  if (!c) return fail(std::move(c).error());
  if (!*c) return fail(make_error(Errc::conversation_not_found, "Conversation not found"));
  const auto& ps = (*c)->participants;
  if (std::find(ps.begin(), ps.end(), caller) == ps.end())
    return fail(make_error(Errc::forbidden, "Access denied"));
  return std::move(**c);
}

Result<std::vector<Message>> Service::messages(std::string_view caller,
                                               std::string_view conversation_id,
                                               std::optional<std::int64_t> skip,
                                               std::optional<std::int64_t> limit) {
  std::int64_t s = skip.value_or(0);
  std::int64_t l = limit.value_or(opts_.history_default_limit);
  if (s < 0)
    return fail(invalid("skip", "ensure this value is greater than or equal to 0",
                        "value_error.number.not_ge"));
  if (l < 0 || l > opts_.history_max_limit)
    return fail(invalid("limit",
                        "ensure this value is between 0 and " +
                            std::to_string(opts_.history_max_limit),
                        "value_error.number.not_in_range"));
  auto conv = authorize(caller, conversation_id);
  if (!conv) return fail(std::move(conv).error());
  if (l == 0) return std::vector<Message>{};
  return store_.list_messages(conv->id, s, l);
}

base::awaitable<Result<Conversation>> Service::mark_read(std::string caller,
                                                         std::string conversation_id) {
  auto conv = authorize(caller, conversation_id);
  if (!conv) co_return fail(std::move(conv).error());
  auto done = co_await write<Done>([&](Callback<Done> cb) {
    store_.mark_read(conv->id, caller, base::now_millis(), std::move(cb));
  });
  if (!done) co_return fail(std::move(done).error());
  notifier_.marked_read(*conv, caller);
  co_return std::move(*conv);
}

base::awaitable<Result<AppendResult>> Service::send_message(std::string caller, SendInput in) {
  auto to = normalize_email(in.to_email.value_or(""), "to_email");
  if (!to) co_return fail(std::move(to).error());
  if (!in.message) co_return fail(invalid("message", "field required", "value_error.missing"));
  auto body = validate_message_body(*in.message, opts_.max_message_length);
  if (!body) co_return fail(std::move(body).error());
  auto type = validate_message_type(in.message_type);
  if (!type) co_return fail(std::move(type).error());
  std::optional<MessageId> reply_to;
  if (in.reply_to) {  // present but empty is not "no reply": it names no message
    reply_to = base::ObjectId::parse(*in.reply_to);
    if (!reply_to)
      co_return fail(invalid("reply_to", "reply_to must reference a message of the same conversation"));
  }
  if (*to == caller)
    co_return fail(make_error(Errc::self_conversation, "Cannot send a message to yourself"));

  // The writer checks that both users exist and takes the sender's name, in commit order: no
  // read of either user here.
  NewMessage m;
  m.sender_email = std::move(caller);
  m.recipient_email = std::move(*to);
  m.body = std::move(*body);
  m.type = *type;
  m.reply_to = reply_to;
  m.resolve_users = true;
  auto r = co_await write<AppendResult>(
      [&](Callback<AppendResult> cb) { store_.append_message(std::move(m), std::move(cb)); });
  if (r) notifier_.message_sent(*r);
  co_return r;
}

Result<std::vector<std::string>> Service::contacts(std::string_view email) {
  return store_.contacts(email);
}

void Service::touch_last_seen(std::string email, UnixMillis when) {
  store_.set_last_seen(std::move(email), when, [](Result<Done>) {});
}

}  // namespace chat
