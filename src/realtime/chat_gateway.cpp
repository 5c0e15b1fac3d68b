#include "realtime/chat_gateway.hpp"

#include <boost/json.hpp>

#include "base/asio.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/utf8.hpp"
#include "chat/wire_text.hpp"
#include "realtime/errors.hpp"

namespace realtime {
namespace json = boost::json;
using socketio::AckFn;
using socketio::Payload;
using socketio::SocketPtr;

namespace {

// What an authenticated socket carries (Socket::data).
struct SocketUser {
  std::string email;
};

const std::string& email_of(const SocketPtr& s) {
  return std::any_cast<const SocketUser&>(s->data).email;
}

void emit_error(const SocketPtr& s, std::string message) {
  json::object o;
  o["message"] = std::move(message);
  s->emit("error", json::array{std::move(o)});
}

Payload one(json::object o) { return json::array{std::move(o)}; }

// A failed request: ack {ok:false, error} when the client asked for an ack, and `error {message}`.
void reject(const SocketPtr& s, const AckFn& ack, std::string message) {
  if (ack) {
    json::object a;
    a["ok"] = false;
    a["error"] = message;
    ack(one(std::move(a)));
  }
  emit_error(s, std::move(message));
}

void log_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("chat event: {}", ex.what());
  }
}

// The event's first argument as an object, or an error event naming the problem.
const json::object* object_arg(const SocketPtr& s, const Payload& p, std::string_view event) {
  if (p.args.empty() || !p.args[0].is_object()) {
    emit_error(s, "Invalid payload for " + std::string(event) + ": expected an object");
    return nullptr;
  }
  return &p.args[0].as_object();
}

// A string field: absent/null → nullopt; another type → error event, and `ok` = false.
std::optional<std::string> str_field(const SocketPtr& s, const json::object& o,
                                     std::string_view name, bool& ok) {
  auto* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    emit_error(s, std::string(name) + " must be a string");
    ok = false;
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<std::string> conversation_id_arg(const SocketPtr& s, const Payload& p,
                                               std::string_view event) {
  auto* o = object_arg(s, p, event);
  if (o == nullptr) return std::nullopt;
  bool ok = true;
  auto id = str_field(s, *o, "conversation_id", ok);
  if (!ok) return std::nullopt;
  if (!id || id->empty()) {
    emit_error(s, "conversation_id is required");
    return std::nullopt;
  }
  return id;
}

std::optional<std::string> bearer_token(const engineio::HandshakeInfo& h) {
  const std::string* header = h.header("authorization");
  if (header == nullptr) return std::nullopt;
  std::string_view v = *header;
  if (v.size() < 7) return std::nullopt;
  std::string scheme(v.substr(0, 7));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return std::nullopt;
  return std::string(base::trim(v.substr(7)));
}

}  // namespace

std::string ChatGateway::user_room(std::string_view email) {
  std::string r = "u:";
  r += email;
  return r;
}

ChatGateway::ChatGateway(socketio::Server& io, chat::LocalPresence& presence,
                         const auth::TokenService& tokens, GatewayOptions opts)
    : io_(io), nsp_(io.of("/")), presence_(presence), tokens_(tokens), opts_(opts) {}

void ChatGateway::attach(chat::Service& service) {
  service_ = &service;
  nsp_.use([this](const SocketPtr& s, socketio::Next next) { authenticate(s, std::move(next)); });
  nsp_.on_connection([this](const SocketPtr& s) { on_connect(s); });
  nsp_.on("send_message", [this](const SocketPtr& s, Payload p, AckFn ack) {
    on_send_message(s, std::move(p), std::move(ack));
  });
  nsp_.on("join_conversation",
          [this](const SocketPtr& s, Payload p, AckFn) { on_join(s, std::move(p), true); });
  nsp_.on("leave_conversation",
          [this](const SocketPtr& s, Payload p, AckFn) { on_join(s, std::move(p), false); });
  nsp_.on("typing_start",
          [this](const SocketPtr& s, Payload p, AckFn) { on_typing(s, std::move(p), true); });
  nsp_.on("typing_stop",
          [this](const SocketPtr& s, Payload p, AckFn) { on_typing(s, std::move(p), false); });
  nsp_.on("mark_as_read", [this](const SocketPtr& s, Payload p, AckFn ack) {
    on_mark_as_read(s, std::move(p), std::move(ack));
  });
  nsp_.on("get_online_users",
          [this](const SocketPtr& s, Payload, AckFn ack) { on_get_online_users(s, std::move(ack)); });
}

// ---- connection ---------------------------------------------------------------------------

void ChatGateway::authenticate(const SocketPtr& s, socketio::Next next) {
  // The token comes from the CONNECT auth {token} (documented), a `token` query parameter, or
  // an Authorization: Bearer header on the handshake request.
  std::optional<std::string> token;
  if (auto* t = s->auth().if_contains("token"); t && t->is_string())
    token = std::string(t->as_string());
  else if (auto* q = s->handshake().query_param("token"))
    token = *q;
  else
    token = bearer_token(s->handshake());
  auto refuse = [&] { next(socketio::ConnectError{"User not authenticated", nullptr}); };
  if (!token || token->empty()) return refuse();
  auto claims = tokens_.verify(*token, base::now_millis() / 1000);
  if (!claims) return refuse();
  auto user = service_->me(claims->subject);
  if (!user) return refuse();
  s->data = SocketUser{user->user.email};
  next(std::nullopt);
}

void ChatGateway::on_connect(const SocketPtr& s) {
  const std::string email = email_of(s);
  s->join(user_room(email));
  s->on_disconnect([this](const SocketPtr& sock, socketio::DisconnectReason) { on_disconnect(sock); });
  if (auto now = base::now_millis(); presence_.socket_connected(email, now)) {
    service_->touch_last_seen(email, now);
    announce(email, true);
  }
}

void ChatGateway::on_disconnect(const SocketPtr& s) {
  const std::string email = email_of(s);
  if (auto now = base::now_millis(); presence_.socket_disconnected(email, now)) {
    service_->touch_last_seen(email, now);
    announce(email, false);
  }
}

void ChatGateway::announce(const std::string& email, bool online) {
  json::object o;
  o["email"] = email;
  Payload payload = one(std::move(o));
  const char* event = online ? "user_online" : "user_offline";
  if (opts_.presence_scope == PresenceScope::all) {
    nsp_.except(user_room(email)).emit(event, payload);
    return;
  }
  auto contacts = service_->contacts(email);
  if (!contacts) {
    spdlog::warn("presence: cannot read contacts of {}", email);
    return;
  }
  if (contacts->empty()) return;
  // One broadcast to the contacts' rooms: encoded once, each socket served once.
  std::vector<std::string> rooms;
  rooms.reserve(contacts->size());
  for (auto& c : *contacts) rooms.push_back(user_room(c));
  socketio::BroadcastOperator(nsp_, socketio::BroadcastTarget{std::move(rooms), {}})
      .emit(event, payload);
}

// ---- notifier -----------------------------------------------------------------------------

void ChatGateway::message_sent(const chat::AppendResult& r) {
  const auto& m = r.message;
  std::vector<std::string> others;
  for (auto& p : r.conversation.participants)
    if (p != m.sender_email) others.push_back(user_room(p));
  std::string sender_room = user_room(m.sender_email);
  // Nothing is rendered when none of the conversation's users has a socket (a REST send to
  // someone offline): one look at the adapter for all of them.
  std::vector<std::string> everyone = others;
  everyone.push_back(sender_room);
  if (!socketio::BroadcastOperator(nsp_, socketio::BroadcastTarget{std::move(everyone), {}})
           .may_reach())
    return;
  // JSON text rendered directly (chat/wire_text.hpp): every message passes here.
  std::string text;
  chat::wire_text::message(text, m);
  const auto message = socketio::Payload::serialized(std::move(text));
  text = std::string();
  chat::wire_text::message_notification(text, m);
  const auto notification = socketio::Payload::serialized(std::move(text));
  // The other participants' sockets get new_message then message_notification as one broadcast
  // (one selection, hand-off and write per socket); the sender's own tabs get new_message. A
  // socket is in one user room only (its user's), so the two selections never overlap.
  socketio::BroadcastOperator(nsp_, socketio::BroadcastTarget{std::move(others), {}})
      .emit_each({{"new_message", message}, {"message_notification", notification}});
  socketio::BroadcastOperator(nsp_, socketio::BroadcastTarget{{std::move(sender_room)}, {}})
      .emit("new_message", message);
}

void ChatGateway::marked_read(const chat::Conversation& c, const std::string& email) {
  std::vector<std::string> rooms;
  for (auto& p : c.participants) rooms.push_back(user_room(p));
  json::object o;
  o["conversation_id"] = c.id.hex();
  o["user_email"] = email;
  socketio::BroadcastOperator(nsp_, socketio::BroadcastTarget{std::move(rooms), {}})
      .emit("marked_as_read", one(std::move(o)));
}

// ---- client events ------------------------------------------------------------------------

void ChatGateway::on_send_message(const SocketPtr& s, Payload p, AckFn ack) {
  if (p.args.empty() || !p.args[0].is_object())
    return reject(s, ack, "Invalid payload for send_message: expected an object");
  const auto& o = p.args[0].as_object();
  chat::SendInput in;
  for (auto [name, field] :
       {std::pair{"to_email", &in.to_email}, std::pair{"message", &in.message},
        std::pair{"message_type", &in.message_type}, std::pair{"reply_to", &in.reply_to}}) {
    auto* v = o.if_contains(name);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_string()) return reject(s, ack, std::string(name) + " must be a string");
    *field = std::string(v->as_string());
  }
  if (!in.to_email) return reject(s, ack, "to_email is required");
  // A member coroutine with value parameters (GCC 12 mishandles capturing lambda coroutines).
  base::asio::co_spawn(s->executor(), send_and_ack(s, std::move(in), std::move(ack)), log_failure);
}

base::awaitable<void> ChatGateway::send_and_ack(SocketPtr s, chat::SendInput in, AckFn ack) {
  // The use case (validation, durable write, new_message/message_notification through the
  // Notifier) is the same as POST /api/messages/send. The ack comes after the commit.
  auto r = co_await service_->send_message(email_of(s), std::move(in));
  if (!r) {
    reject(s, ack, error_message(r.error(), "Failed to send message"));
    co_return;
  }
  if (ack) {
    std::string a = R"({"ok":true,"message":)";
    chat::wire_text::message(a, r->message);
    a.push_back('}');
    ack(socketio::Payload::serialized(std::move(a)));
  }
}

void ChatGateway::on_join(const SocketPtr& s, Payload p, bool join) {
  auto id = conversation_id_arg(s, p, join ? "join_conversation" : "leave_conversation");
  if (!id) return;
  auto conv = service_->authorize(email_of(s), *id);
  if (!conv) return emit_error(s, error_message(conv.error(), "Failed to join conversation"));
  std::string room = "c:" + conv->id.hex();
  if (join) s->join(room);
  else s->leave(room);
  json::object o;
  o["conversation_id"] = conv->id.hex();
  s->emit(join ? "joined_conversation" : "left_conversation", one(std::move(o)));
}

void ChatGateway::on_typing(const SocketPtr& s, Payload p, bool typing) {
  auto id = conversation_id_arg(s, p, typing ? "typing_start" : "typing_stop");
  if (!id) return;
  const std::string& email = email_of(s);
  auto conv = service_->authorize(email, *id);
  if (!conv) return emit_error(s, error_message(conv.error(), "Failed to send typing status"));
  std::vector<std::string> rooms;
  for (auto& u : conv->participants)
    if (u != email) rooms.push_back(user_room(u));
  if (rooms.empty()) return;
  json::object o;
  o["conversation_id"] = conv->id.hex();
  o["user_email"] = email;
  o["typing"] = typing;
  // Never back to the sending socket (nor the typist's other tabs: they are not in `rooms`).
  socketio::BroadcastOperator(nsp_, socketio::BroadcastTarget{std::move(rooms), {s->id()}})
      .emit("user_typing", one(std::move(o)));
}

void ChatGateway::on_mark_as_read(const SocketPtr& s, Payload p, AckFn ack) {
  auto id = conversation_id_arg(s, p, "mark_as_read");
  if (!id) return;
  base::asio::co_spawn(s->executor(), mark_read_and_ack(s, std::move(*id), std::move(ack)),
                       log_failure);
}

base::awaitable<void> ChatGateway::mark_read_and_ack(SocketPtr s, std::string id, AckFn ack) {
  auto r = co_await service_->mark_read(email_of(s), std::move(id));
  if (!r) {
    reject(s, ack, error_message(r.error(), "Failed to mark as read"));
    co_return;
  }
  if (ack) {
    json::object a;
    a["ok"] = true;
    ack(one(std::move(a)));
  }
}

void ChatGateway::on_get_online_users(const SocketPtr& s, AckFn ack) {
  const std::string& email = email_of(s);
  std::vector<std::string> users;
  if (opts_.presence_scope == PresenceScope::all) {
    users = presence_.all_online();
  } else {
    auto contacts = service_->contacts(email);
    if (!contacts) return emit_error(s, "Failed to get online users");
    users = presence_.online_among(*contacts);
  }
  std::sort(users.begin(), users.end());
  json::array list;
  for (auto& u : users) list.emplace_back(u);
  json::object o;
  o["users"] = std::move(list);
  if (ack) ack(one(o));
  s->emit("online_users", one(std::move(o)));
}

}  // namespace realtime
