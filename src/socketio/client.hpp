#pragma once
// Internal to socketio: the Engine.IO handler (Core) and the per-connection state (Client).
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engineio/handler.hpp"
#include "socketio/server.hpp"

namespace socketio {

// Namespaces plus the engineio::Handler. Shared by the Server and every Client, so that it
// outlives all sessions.
class Core : public engineio::Handler, public std::enable_shared_from_this<Core> {
 public:
  explicit Core(const ServerOptions& opts);
  Namespace& of(std::string_view name);
  Namespace* find(std::string_view name) const;

  void on_open(const engineio::SessionPtr& session, const engineio::HandshakeInfo& hs) override;
  void on_message(const engineio::SessionPtr& session, engineio::Message message) override;
  void on_close(const engineio::SessionPtr& session, engineio::CloseReason reason) override;

  const std::chrono::milliseconds connect_timeout;
  const std::size_t max_attachments;
  const bool retain_handshake;

 private:
  AdapterFactory factory_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Namespace>> namespaces_;  // GUARDED_BY(mu_)
};

// One Engine.IO connection: its namespaces (sockets) and the binary assembler. Strand only.
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(std::shared_ptr<Core> core, engineio::SessionPtr session);
  void start();
  void on_message(engineio::Message m);
  void on_close(engineio::CloseReason reason);
  void disconnect_socket(const SocketPtr& s, bool close_transport);

 private:
  void on_packet(Packet p, std::vector<std::string> attachments);
  void connect(Packet p);
  void run_middleware(const SocketPtr& s, std::size_t index);
  void connect_done(const SocketPtr& s, std::optional<ConnectError> error);
  SocketPtr find(std::string_view nsp) const;
  void remove(const SocketPtr& s);
  void send(const Packet& p);
  // Protocol violation: close the connection.
  void fail(engineio::CloseReason reason, std::string_view why);

  std::shared_ptr<Core> core_;
  engineio::SessionPtr session_;
  Assembler assembler_;
  std::vector<std::pair<std::string, SocketPtr>> sockets_;  // connected namespaces
  std::vector<std::string> connecting_;                     // middleware running
  std::unique_ptr<boost::asio::steady_timer> connect_timer_;
  bool closed_ = false;
};

}  // namespace socketio
