#pragma once
// A client's connection to one namespace.
//
// Threading: emit*, join, leave, rooms, to, disconnect and connected are thread-safe. on(),
// on_disconnect() and `data` belong to the socket's strand (executor()): use them from event
// handlers, the connection handler or middleware (all of which run there), or post there.
#include <boost/json/object.hpp>

#include <any>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engineio/session.hpp"
#include "socketio/packet.hpp"

namespace socketio {

class Socket;
class Namespace;
class BroadcastOperator;
class Client;
using SocketPtr = std::shared_ptr<Socket>;

// Why a socket left its namespace ([ref] wording via to_string()).
enum class DisconnectReason : unsigned char {
  client_namespace_disconnect,  // the client sent DISCONNECT
  server_namespace_disconnect,  // socket->disconnect()
  forced_server_close,          // socket->disconnect(true)
  server_shutting_down,
  transport_close,
  transport_error,
  ping_timeout,
  parse_error,
  forced_close,   // the Engine.IO session was closed by the server
  slow_consumer,  // the outbound queue overflowed
};
std::string_view to_string(DisconnectReason r);

// Replies to a client's event; empty when the client asked for no ack. Call at most once (later
// calls are ignored); any thread.
using AckFn = std::function<void(Payload)>;
using EventHandler = std::function<void(const SocketPtr&, Payload, AckFn)>;
using DisconnectHandler = std::function<void(const SocketPtr&, DisconnectReason)>;
// Server→client ack result: the client's arguments, or nullopt on timeout / disconnect.
using AckCallback = std::function<void(std::optional<Payload>)>;

class Socket : public std::enable_shared_from_this<Socket> {
 public:
  Socket(std::string id, Namespace& nsp, engineio::SessionPtr session, std::weak_ptr<Client> client,
         boost::json::object auth);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Socket.IO id: random, distinct from the Engine.IO session id.
  const std::string& id() const { return id_; }
  Namespace& nsp() const { return *nsp_; }
  // The Engine.IO handshake request (query, selected headers, remote address).
  const engineio::HandshakeInfo& handshake() const { return session_->handshake(); }
  // The CONNECT payload ({} when none). Available to middleware and the connection handler;
  // released (empty) once the connection handler returns.
  const boost::json::object& auth() const { return auth_; }
  const boost::asio::any_io_executor& executor() const { return session_->executor(); }
  engineio::Session& session() const { return *session_; }
  bool connected() const { return connected_.load(std::memory_order_acquire); }

  // Per-socket handlers (strand only). A per-socket handler for an event takes precedence over
  // the namespace's (Namespace::on), which costs no per-socket memory.
  void on(std::string event, EventHandler handler);
  void on_disconnect(DisconnectHandler handler);

  // Sends an event to this client. Thread-safe; dropped when disconnected.
  void emit(std::string_view event, const Payload& args = {});
  // Sends an event and waits for the client's ack; `on_ack` runs on the socket's strand with
  // the ack arguments, or nullopt after `timeout` or on disconnect. Thread-safe.
  void emit_with_ack(std::string_view event, Payload args, std::chrono::milliseconds timeout,
                     AckCallback on_ack);

  // Rooms. Thread-safe. rooms() lists the socket id first.
  void join(std::string_view room);
  void leave(std::string_view room);
  std::vector<std::string> rooms() const;
  // Broadcast to `room` (or every socket with broadcast()), excluding this socket.
  BroadcastOperator to(std::string room) const;
  BroadcastOperator broadcast() const;

  // Leaves the namespace (the client gets DISCONNECT: "io server disconnect", no reconnect).
  // close_transport: also closes the whole Engine.IO connection. Thread-safe.
  void disconnect(bool close_transport = false);

  // Sends pre-encoded frames (see encode_frames); used by adapters. Thread-safe.
  void send_encoded(const std::vector<engineio::Frame>& frames);
  // Sends the same frames to many sockets: one hand-off per execution context (thread) instead
  // of one per socket; sockets of the calling thread are written to inline. Thread-safe.
  static void send_encoded_to(std::vector<SocketPtr> targets,
                              const std::vector<engineio::Frame>& frames);

  // Application data (strand only), e.g. the authenticated user.
  std::any data;

 private:
  friend class Client;
  struct PendingAck;
  // strand only
  void send_encoded_here(const std::vector<engineio::Frame>& frames);
  void dispatch_event(std::string name, Payload args, std::optional<std::uint64_t> ack_id);
  void on_ack(std::uint64_t id, Payload args);
  void ack_result(std::uint64_t id, std::optional<Payload> args);
  void on_closed(DisconnectReason reason);  // runs the disconnect handler, fails pending acks

  std::string id_;
  Namespace* nsp_;
  engineio::SessionPtr session_;
  std::weak_ptr<Client> client_;
  boost::json::object auth_;
  std::atomic<bool> connected_{false};
  std::uint64_t next_ack_id_ = 0;                                              // strand
  std::unique_ptr<std::unordered_map<std::string, EventHandler>> handlers_;    // strand
  DisconnectHandler on_disconnect_;                                            // strand
  std::unique_ptr<std::unordered_map<std::uint64_t, PendingAck>> acks_;        // strand
};

}  // namespace socketio
