#pragma once
// Socket.IO v5 server on top of engineio::Server.
//
//   socketio::ServerOptions opts;           // opts.engine: Engine.IO options (path, timers, CORS)
//   auto io = socketio::Server::create(ioc, opts);
//   auto& chat = io->of("/");
//   chat.use([](const SocketPtr& s, Next next) { next(std::nullopt); });
//   chat.on_connection([](const SocketPtr& s) { s->join("lobby"); });
//   chat.on("message", [](const SocketPtr& s, Payload p, AckFn ack) { if (ack) ack(p); });
//   http_server.mount(opts.engine.path, io->http_handler());
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engineio/options.hpp"
#include "socketio/namespace.hpp"

namespace http {
class Handler;
}
namespace engineio {
class Server;
}

namespace socketio {

class Core;
using AdapterFactory = std::function<std::unique_ptr<Adapter>(const std::string& nsp)>;

struct ServerOptions {
  engineio::Options engine;
  // An Engine.IO connection that joins no namespace within this time is closed. Default 45 s.
  std::chrono::milliseconds connect_timeout{45000};
  // More attachments in one packet close the connection. Default 10.
  std::size_t max_attachments = 10;
  // Keep the Engine.IO handshake (query, headers, URL) for the connection's whole life, as
  // Node's socket.handshake does. false: once a namespace connection succeeds, only the
  // handshake's transport remains (a later namespace's middleware sees no query, headers or
  // address) — several hundred bytes less per idle connection. Default true.
  bool retain_handshake = true;
  // Adapter per namespace. Default: InMemoryAdapter.
  AdapterFactory adapter_factory;
};

class Server {
 public:
  static std::shared_ptr<Server> create(boost::asio::io_context& ioc, ServerOptions opts);
  Server(boost::asio::io_context& ioc, ServerOptions opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The namespace `name` (starting with "/"), created on first use. Thread-safe; the reference
  // stays valid for the server's lifetime. CONNECTs to names never registered are refused with
  // "Invalid namespace".
  Namespace& of(std::string_view name);
  // Registered namespace or nullptr. Thread-safe.
  Namespace* find(std::string_view name) const;

  // Mount this on the http::Server at options().engine.path.
  std::shared_ptr<http::Handler> http_handler() const;
  engineio::Server& engine() const { return *engine_; }
  const ServerOptions& options() const { return opts_; }
  // Disconnects every socket ("server shutting down") and closes every session. Thread-safe.
  void shutdown();

 private:
  ServerOptions opts_;
  std::shared_ptr<Core> core_;  // namespaces; the Engine.IO handler (outlives sessions)
  std::shared_ptr<engineio::Server> engine_;
};

}  // namespace socketio
