#pragma once
// HTTP/1.1 server: one listener, one coroutine per connection on its own strand. Requests are
// dispatched by path prefix to mounted Handlers; a handler may answer, hold the request (long
// polling), or take the TCP stream over (WebSocket upgrade).
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/asio.hpp"

namespace http {

namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Request = beast::http::request<beast::http::string_body>;
using Response = beast::http::response<beast::http::string_body>;
using Status = beast::http::status;
using Verb = beast::http::verb;
using Field = beast::http::field;

// A client connection. Lives on its own strand; everything touching it runs there.
struct Connection {
  explicit Connection(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;  // bytes read past the current request (pass to a WebSocket accept)
  tcp::endpoint remote;
};

// What happened to the connection after a handler ran.
enum class Disposition {
  keep_alive,  // the handler wrote a response; read the next request if the client allows
  close,       // the handler wrote a response; close the connection
  taken,       // the handler moved the stream out (WebSocket); the server forgets the connection
};

struct Outcome {
  Disposition disposition = Disposition::keep_alive;
  unsigned status = 200;  // for the access log
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Largest request body accepted for this request (header already parsed); larger → 413.
  virtual std::uint64_t body_limit(const Request& header) const {
    (void)header;
    return 1 << 20;
  }
  // Runs on the connection's strand. Must write exactly one response (or take the stream).
  virtual base::awaitable<Outcome> handle(Request req, Connection& conn) = 0;
  // Called once when the server begins a graceful shutdown (any thread).
  virtual void shutdown() {}
};

// Writes `res` on the connection (sets keep-alive from the request). Returns false on I/O error.
base::awaitable<bool> write_response(Connection& conn, Response& res);

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;  // 0 = any free port (see Server::port())
  std::chrono::seconds header_timeout{60};  // idle keep-alive / slow header limit
  std::chrono::seconds body_timeout{60};
  std::uint32_t header_limit = 16 * 1024;
  // Executor for each accepted connection; it must serialise handlers (a strand, or a
  // single-threaded io_context such as base::IoPool::next()). Unset: a new strand on the
  // server's io_context.
  std::function<asio::any_io_executor()> connection_executor;
};

class Server {
 public:
  Server(asio::io_context& ioc, ServerOptions opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Requests whose path starts with `prefix` go to `h`; the longest matching prefix wins.
  // Requests matching no prefix go to the fallback. Call before start().
  void mount(std::string prefix, std::shared_ptr<Handler> h);
  void set_fallback(std::shared_ptr<Handler> h);

  // Binds and listens; throws std::system_error when the address cannot be bound.
  void start();
  unsigned short port() const { return bound_port_; }
  // Stops accepting, tells handlers, closes idle keep-alive connections. In-flight requests
  // finish; their connections close afterwards. Thread-safe.
  void stop();
  // Connections still open (excluding those taken over by handlers).
  std::size_t open_connections() const;

 private:
  struct Tracked;
  base::awaitable<void> accept_loop();
  base::awaitable<void> serve(std::shared_ptr<Tracked> t);
  Handler* route(std::string_view target) const;

  asio::io_context& ioc_;
  ServerOptions opts_;
  tcp::acceptor acceptor_;
  unsigned short bound_port_ = 0;
  std::vector<std::pair<std::string, std::shared_ptr<Handler>>> mounts_;
  std::shared_ptr<Handler> fallback_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::unordered_set<std::shared_ptr<Tracked>> live_;  // GUARDED_BY(mu_)
};

}  // namespace http
