#pragma once
// The Socket.IO half of chat-socket-backend-api.md on namespace "/": authenticates sockets,
// tracks presence, handles the client events and delivers chat::Notifier events to sockets.
//
// Every socket joins its user's room ("u:<email>"), so events addressed to a user reach all of
// their tabs and devices, encoded once per event whatever the number of sockets.
#include <memory>
#include <string>

#include "auth/token_service.hpp"
#include "chat/notifier.hpp"
#include "chat/presence.hpp"
#include "chat/service.hpp"
#include "socketio/server.hpp"

namespace realtime {

enum class PresenceScope {
  contacts,  // user_online/user_offline only to users who share a conversation (default)
  all,       // to every connected user, like the Python prototype
};

struct GatewayOptions {
  PresenceScope presence_scope = PresenceScope::contacts;
};

class ChatGateway final : public chat::Notifier {
 public:
  // `io`, `presence` and `tokens` must outlive the gateway. Call attach() before serving.
  ChatGateway(socketio::Server& io, chat::LocalPresence& presence,
              const auth::TokenService& tokens, GatewayOptions opts);
  // Registers middleware and handlers on io.of("/"). `service` must outlive the gateway.
  void attach(chat::Service& service);

  // chat::Notifier: called by the use cases after a durable change (from REST or sockets).
  void message_sent(const chat::AppendResult& r) override;
  void marked_read(const chat::Conversation& c, const std::string& email) override;

  static std::string user_room(std::string_view email);

 private:
  void authenticate(const socketio::SocketPtr& s, socketio::Next next);
  void on_connect(const socketio::SocketPtr& s);
  void on_disconnect(const socketio::SocketPtr& s);
  void announce(const std::string& email, bool online);

  void on_send_message(const socketio::SocketPtr& s, socketio::Payload p, socketio::AckFn ack);
  void on_join(const socketio::SocketPtr& s, socketio::Payload p, bool join);
  void on_typing(const socketio::SocketPtr& s, socketio::Payload p, bool typing);
  void on_mark_as_read(const socketio::SocketPtr& s, socketio::Payload p, socketio::AckFn ack);
  base::awaitable<void> send_and_ack(socketio::SocketPtr s, chat::SendInput in,
                                     socketio::AckFn ack);
  base::awaitable<void> mark_read_and_ack(socketio::SocketPtr s, std::string id,
                                          socketio::AckFn ack);
  void on_get_online_users(const socketio::SocketPtr& s, socketio::AckFn ack);

  socketio::Server& io_;
  socketio::Namespace& nsp_;
  chat::LocalPresence& presence_;
  const auth::TokenService& tokens_;
  chat::Service* service_ = nullptr;
  GatewayOptions opts_;
};

}  // namespace realtime
