#pragma once
// Engine.IO v4 server: an http::Handler serving long-polling and WebSocket sessions.
//
//   auto eio = engineio::Server::create(ioc, opts, handler);
//   http_server.mount(opts.path, eio);
//
// Each session runs on its own strand (see Session). The handler must outlive the server and
// every session (it is held by shared_ptr).
#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engineio/handler.hpp"
#include "engineio/options.hpp"
#include "engineio/session.hpp"
#include "http/server.hpp"

namespace engineio {

// Engine.IO HTTP error codes (the JSON body {"code":N,"message":...}).
enum class ErrorCode : int {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

class Server : public http::Handler, public std::enable_shared_from_this<Server> {
 public:
  static std::shared_ptr<Server> create(boost::asio::io_context& ioc, Options opts,
                                        std::shared_ptr<engineio::Handler> handler);
  Server(boost::asio::io_context& ioc, Options opts, std::shared_ptr<engineio::Handler> handler);

  // http::Handler
  std::uint64_t body_limit(const http::Request& header) const override;
  base::awaitable<http::Outcome> handle(http::Request req, http::Connection& conn) override;
  // Closes every session (CloseReason::server_shutdown) and refuses new ones. Thread-safe.
  void shutdown() override;

  const Options& options() const { return opts_; }
  engineio::Handler& handler() const { return *handler_; }
  // Open sessions (thread-safe snapshot count).
  std::size_t session_count() const;
  // Session by id, or nullptr. Thread-safe.
  SessionPtr find(const std::string& sid) const;

 private:
  friend class Session;
  base::awaitable<http::Outcome> handle_polling(http::Request req, http::Connection& conn,
                                                SessionPtr s);
  base::awaitable<http::Outcome> handshake_polling(http::Request req, http::Connection& conn,
                                                   std::shared_ptr<const HandshakeInfo> hs);
  http::Outcome take_websocket(http::Request req, http::Connection& conn, SessionPtr s,
                               std::shared_ptr<const HandshakeInfo> hs);
  base::awaitable<void> run_websocket(SessionPtr s, boost::asio::ip::tcp::socket sock,
                                      http::Request req, bool upgrade);
  base::awaitable<http::Outcome> reply(http::Request& req, http::Connection& conn,
                                       http::Response res, bool close = false);
  base::awaitable<http::Outcome> reply_error(http::Request& req, http::Connection& conn,
                                             ErrorCode code, std::string_view message = {});
  void add_cors(const http::Request& req, http::Response& res) const;
  std::string open_packet(const std::string& sid, Transport t) const;
  void remove(const std::string& sid);

  boost::asio::io_context& ioc_;
  Options opts_;
  std::shared_ptr<engineio::Handler> handler_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::unordered_map<std::string, SessionPtr> sessions_;  // GUARDED_BY(mu_)
};

}  // namespace engineio
