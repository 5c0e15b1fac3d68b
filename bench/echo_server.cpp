// natter-echo: a raw WebSocket echo server built from natter's own libraries, the "physical
// ceiling" beside natter in `natter-bench echo` (docs/BENCHMARKS.md). Every text/binary message
// comes back with the same opcode; ping → pong; close → close. Any path is accepted.
//
// It does what natter does, minus Engine.IO/Socket.IO and the chat: http::Server accepts and
// parses the upgrade request on a per-connection strand; Beast's handshake validates it and
// answers Sec-WebSocket-Accept (as engineio::Server::run_websocket does); then the raw socket is
// served like engineio's WsConn: wait for readability, one non-blocking read into a per-thread
// buffer, engineio::ws::Reader parses it, the replies go out in one gathered write. One
// io_context run by N threads (default: one per core), as in src/app/main.cpp.
//
// Usage: natter-echo [--host 127.0.0.1] [--port N] [--threads N]   (PORT from the environment
// when --port is absent; 0 = any free port). Prints "natter-echo listening on HOST:PORT" once
// ready. SIGINT/SIGTERM: stop accepting, send close 1001 to every client, exit 0.
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "echo_conn.hpp"
#include "http/response.hpp"
#include "http/server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using natter_echo::EchoConn;

constexpr std::size_t kMaxMessage = 1000000;  // engineio's default maxPayload
constexpr std::size_t kReadBuffer = 64 * 1024;
constexpr std::size_t kMaxPending = 1 << 20;  // stop reading while this much output waits
constexpr std::chrono::seconds kShutdownGrace{2};

class Registry;

// One WebSocket connection after the handshake. Everything runs on the connection's strand (the
// socket's executor, from http::Server's accept).
class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(tcp::socket s, Registry& reg) : sock_(std::move(s)), reg_(reg), conn_(kMaxMessage) {}
  // `early`: bytes the client sent right after its upgrade request.
  void start(std::string early);
  // Server shutdown: close frame 1001, then close.
  void go_away();
  asio::any_io_executor executor() { return sock_.get_executor(); }

 private:
  void read();
  void on_readable(boost::system::error_code ec);
  void flush();
  void on_written(boost::system::error_code ec);
  void kill();

  tcp::socket sock_;
  Registry& reg_;
  EchoConn conn_;
  std::vector<asio::const_buffer> bufs_;
  bool waiting_ = false;  // a readiness wait is pending
  bool dead_ = false;
};

// The open WebSocket connections (for shutdown). Thread-safe.
class Registry {
 public:
  void add(std::shared_ptr<Link> l) {
    std::lock_guard lk(mu_);
    live_.insert(std::move(l));
  }
  void remove(const std::shared_ptr<Link>& l) {
    std::lock_guard lk(mu_);
    live_.erase(l);
  }
  std::size_t size() const {
    std::lock_guard lk(mu_);
    return live_.size();
  }
  bool stopping() const { return stopping_; }
  // Tells every connection (and those still handshaking, via stopping()) to go away.
  void close_all() {
    stopping_ = true;
    std::lock_guard lk(mu_);
    for (auto& l : live_) asio::post(l->executor(), [l] { l->go_away(); });
  }

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::shared_ptr<Link>> live_;  // GUARDED_BY(mu_)
  std::atomic<bool> stopping_{false};
};

void Link::start(std::string early) {
  reg_.add(shared_from_this());
  boost::system::error_code ec;
  sock_.non_blocking(true, ec);
  if (ec) {
    kill();
    return;
  }
  if (!early.empty()) conn_.feed(early.data(), early.size());
  if (reg_.stopping()) conn_.close(natter_echo::kCloseGoingAway);
  flush();
  read();
}

void Link::go_away() {
  if (dead_) return;
  conn_.close(natter_echo::kCloseGoingAway);
  flush();
}

void Link::read() {
  if (dead_ || waiting_ || conn_.closing() || conn_.pending_bytes() >= kMaxPending) return;
  waiting_ = true;
  // Idle connections keep this wait pending: allocate it exactly, as engineio's transport does.
  sock_.async_wait(tcp::socket::wait_read,
                   asio::bind_allocator(std::allocator<void>(),
                                        [self = shared_from_this()](boost::system::error_code ec) {
                                          self->on_readable(ec);
                                        }));
}

void Link::on_readable(boost::system::error_code ec) {
  waiting_ = false;
  if (dead_) return;
  if (ec) {
    kill();
    return;
  }
  thread_local std::unique_ptr<char[]> buf(new char[kReadBuffer]);
  std::size_t n = sock_.read_some(asio::buffer(buf.get(), kReadBuffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    read();
    return;
  }
  if (ec) {  // EOF or reset without a close frame
    kill();
    return;
  }
  conn_.feed(buf.get(), n);
  flush();
  read();
}

void Link::flush() {
  if (dead_) return;
  if (!conn_.take_output(bufs_)) {
    if (!conn_.writing() && conn_.done()) kill();
    return;
  }
  asio::async_write(sock_, bufs_,
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->on_written(ec);
                    });
}

void Link::on_written(boost::system::error_code ec) {
  conn_.written();
  if (dead_) return;
  if (ec || conn_.done()) {  // our close frame is out: close the TCP connection
    kill();
    return;
  }
  flush();
  read();  // resumes reading paused by back-pressure
}

void Link::kill() {
  if (dead_) return;
  dead_ = true;
  boost::system::error_code ec;
  sock_.shutdown(tcp::socket::shutdown_both, ec);
  sock_.close(ec);
  reg_.remove(shared_from_this());
}

// Every path: a WebSocket upgrade is taken over; anything else gets 426.
class EchoHandler : public http::Handler {
 public:
  explicit EchoHandler(Registry& reg) : reg_(reg) {}

  base::awaitable<http::Outcome> handle(http::Request req, http::Connection& conn) override {
    if (!websocket::is_upgrade(req)) {
      auto res = http::make_response(req, http::Status::upgrade_required,
                                     "natter-echo: WebSocket only\n", "text/plain");
      res.set(http::Field::upgrade, "websocket");
      bool ok = co_await http::write_response(conn, res);
      co_return http::Outcome{ok ? http::Disposition::keep_alive : http::Disposition::close, 426};
    }
    std::string early = beast::buffers_to_string(conn.buffer.data());
    conn.buffer.clear();
    std::shared_ptr<Link> link;
    {
      // Beast checks the request and answers 101 with Sec-WebSocket-Accept (or 400), exactly as
      // engineio::Server::run_websocket; then the raw socket is ours.
      // (Beast's idle timeout and pings would only act on reads through `ws`: there are none.)
      websocket::stream<beast::tcp_stream> ws(conn.stream.release_socket());
      ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                    websocket::stream_base::none(), false});
      auto [ec] = co_await ws.async_accept(req, base::as_result);
      if (ec) co_return http::Outcome{http::Disposition::taken, 400};
      link = std::make_shared<Link>(ws.next_layer().release_socket(), reg_);
    }
    link->start(std::move(early));
    co_return http::Outcome{http::Disposition::taken, 101};
  }

 private:
  Registry& reg_;
};

// Graceful stop: stop accepting, close every WebSocket, wait (bounded) until all are gone.
class Shutdown {
 public:
  Shutdown(asio::io_context& ioc, http::Server& server, Registry& reg)
      : ioc_(ioc), server_(server), reg_(reg), signals_(ioc, SIGINT, SIGTERM), timer_(ioc) {}
  void arm() {
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      deadline_ = std::chrono::steady_clock::now() + kShutdownGrace;
      server_.stop();
      reg_.close_all();
      tick();
    });
  }

 private:
  void tick() {
    bool idle = reg_.size() == 0 && server_.open_connections() == 0;
    if (idle || std::chrono::steady_clock::now() >= deadline_) {
      ioc_.stop();
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(20));
    timer_.async_wait([this](boost::system::error_code) { tick(); });
  }

  asio::io_context& ioc_;
  http::Server& server_;
  Registry& reg_;
  asio::signal_set signals_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  unsigned threads = 0;
  CLI::App app{"natter-echo: raw WebSocket echo server on natter's HTTP server and WebSocket codec "
               "(the ceiling for `natter-bench echo`)"};
  app.add_option("--host", host, "listen address")->capture_default_str();
  app.add_option("--port", port, "TCP port (0: any free port)")
      ->envname("PORT")
      ->check(CLI::Range(0u, 65535u))
      ->capture_default_str();
  app.add_option("--threads", threads, "I/O threads (0: one per core)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  asio::io_context ioc(static_cast<int>(threads));
  Registry reg;
  http::ServerOptions opts;
  opts.host = host;
  opts.port = static_cast<unsigned short>(port);
  http::Server server(ioc, opts);
  server.set_fallback(std::make_shared<EchoHandler>(reg));
  Shutdown shutdown(ioc, server, reg);
  shutdown.arm();
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "natter-echo: cannot listen on %s:%u: %s\n", host.c_str(), port, e.what());
    return 1;
  }
  std::fprintf(stderr, "natter-echo listening on %s:%u (%u threads)\n", host.c_str(),
               static_cast<unsigned>(server.port()), threads);

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
