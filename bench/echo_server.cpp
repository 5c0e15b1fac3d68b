// natter-echo: a raw WebSocket server built from natter's own libraries, the "physical ceiling"
// beside natter in `natter-bench echo` (docs/BENCHMARKS.md). On any path every text/binary
// message comes back with the same opcode; on /group/<name> a message goes instead to every
// other connection on the same path (the broadcast natter does for a user's tabs, without
// Engine.IO, Socket.IO or the chat). ping → pong; close → close.
//
// It does what natter does, minus Engine.IO/Socket.IO and the chat: one single-threaded
// io_context per core (base::IoPool), a connection placed on one of them for its life;
// http::Server accepts and parses the upgrade request; the opening handshake is answered
// directly (Sec-WebSocket-Accept by engineio::ws::accept_key, as engineio does); then the raw
// socket is served like engineio's WsConn: wait for readability, one non-blocking read into a
// per-thread buffer, engineio::ws::Reader parses it, the replies go out at the end of the
// current run of handlers in one non-blocking writev (asynchronous only for what the socket
// buffer cannot take). A group message is encoded once; members on the sender's thread get it
// inline, every other thread gets one hand-off per message (as socketio::Socket::send_encoded_to).
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

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/io_pool.hpp"
#include "echo_conn.hpp"
#include "http/response.hpp"
#include "http/server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using natter_echo::EchoConn;
using natter_echo::SharedFrame;

constexpr std::size_t kMaxMessage = 1000000;  // engineio's default maxPayload
constexpr std::size_t kReadBuffer = 64 * 1024;
constexpr std::size_t kMaxPending = 1 << 20;  // stop reading while this much output waits
// A group member with this much output waiting is dropped (engineio's max_queued_bytes), so a
// client that stops reading cannot make the server buffer without bound.
constexpr std::size_t kMaxBacklog = 4 << 20;
constexpr std::string_view kGroupPrefix = "/group/";
constexpr std::chrono::seconds kShutdownGrace{2};

class Link;
class Registry;

// The connections served by one io_context (one thread). Touched only from that thread.
struct Shard {
  explicit Shard(asio::io_context& c) : ioc(c) {}
  asio::io_context& ioc;
  std::unordered_set<std::shared_ptr<Link>> live;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Link>>> groups;  // members here

  // Queues `f` for every member of `group` on this thread but `except`.
  void deliver(const std::string& group, const SharedFrame& f, const Link* except);
};

// One WebSocket connection after the handshake. Everything runs on its shard's thread.
class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(tcp::socket s, Registry& reg, Shard& shard, std::string group)
      : sock_(std::move(s)), reg_(reg), shard_(shard), group_(std::move(group)),
        conn_(kMaxMessage, !group_.empty()) {}
  // `response`: the 101 answer; `early`: bytes the client sent right after its upgrade request.
  void start(std::string_view response, std::string early);
  // Server shutdown: close frame 1001, then close.
  void go_away();
  // A frame from another member of the group.
  void send(const SharedFrame& f);
  std::size_t backlog() const { return conn_.pending_bytes(); }
  void kill();

 private:
  void read();
  void on_readable(boost::system::error_code ec);
  void relay();
  void flush();
  void write();
  void on_written(boost::system::error_code ec);
  void leave_group();

  tcp::socket sock_;
  Registry& reg_;
  Shard& shard_;
  std::string group_;  // empty: echo
  EchoConn conn_;
  std::vector<asio::const_buffer> bufs_;
  bool waiting_ = false;  // a readiness wait is pending
  bool flush_posted_ = false;
  bool dead_ = false;
};

// Every shard, the count of open WebSocket connections (for shutdown), and the hand-off of group
// messages between threads.
class Registry {
 public:
  explicit Registry(base::IoPool& pool) {
    for (std::size_t i = 0; i < pool.size(); ++i) shards_.push_back(std::make_unique<Shard>(pool.at(i)));
  }
  // The shard of a connection's executor (one of the pool's contexts).
  Shard& shard_of(const asio::any_io_executor& ex) {
    const auto* e = ex.target<asio::io_context::executor_type>();
    for (auto& s : shards_)
      if (e && &e->context() == &s->ioc) return *s;
    throw std::logic_error("natter-echo: connection outside the pool");
  }
  // On `from`'s thread: inline to the members there, one hand-off to each other thread.
  void broadcast(Shard& from, const std::string& group, const SharedFrame& f, const Link* sender) {
    from.deliver(group, f, sender);
    for (auto& s : shards_)
      if (s.get() != &from)
        asio::post(s->ioc, [s = s.get(), group, f] { s->deliver(group, f, nullptr); });
  }
  void opened() { ++open_; }
  void closed() { --open_; }
  std::size_t size() const { return open_; }
  bool stopping() const { return stopping_; }
  // Tells every connection (and those still handshaking, via stopping()) to go away.
  void close_all() {
    stopping_ = true;
    for (auto& s : shards_)
      asio::post(s->ioc, [s = s.get()] {
        std::vector<std::shared_ptr<Link>> all(s->live.begin(), s->live.end());
        for (auto& l : all) l->go_away();
      });
  }

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> open_{0};
  std::atomic<bool> stopping_{false};
};

void Shard::deliver(const std::string& group, const SharedFrame& f, const Link* except) {
  auto it = groups.find(group);
  if (it == groups.end()) return;
  std::vector<std::shared_ptr<Link>> behind;  // killed after the loop: kill() edits the list
  for (auto& m : it->second) {
    if (m.get() == except) continue;
    if (m->backlog() > kMaxBacklog)
      behind.push_back(m);
    else
      m->send(f);
  }
  for (auto& m : behind) m->kill();
}

void Link::start(std::string_view response, std::string early) {
  auto self = shared_from_this();
  shard_.live.insert(self);
  if (!group_.empty()) shard_.groups[group_].push_back(self);
  reg_.opened();
  boost::system::error_code ec;
  sock_.non_blocking(true, ec);
  if (ec) {
    kill();
    return;
  }
  conn_.queue_raw(response);
  if (!early.empty()) {
    conn_.feed(early.data(), early.size());
    relay();
  }
  if (reg_.stopping()) conn_.close(natter_echo::kCloseGoingAway);
  flush();
  read();
}

void Link::go_away() {
  if (dead_) return;
  conn_.close(natter_echo::kCloseGoingAway);
  flush();
}

void Link::send(const SharedFrame& f) {
  if (dead_) return;
  conn_.send(f);
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
  relay();
  flush();
  read();
}

void Link::relay() {
  auto& frames = conn_.relayed();
  for (auto& f : frames) reg_.broadcast(shard_, group_, f, this);
  frames.clear();
}

void Link::flush() {
  // Deferred to the end of the current run of handlers: frames queued meanwhile (a burst of
  // group messages) leave in the same write.
  if (dead_ || flush_posted_ || conn_.writing()) return;
  flush_posted_ = true;
  asio::post(sock_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->write();
  });
}

void Link::write() {
  if (dead_) return;
  if (!conn_.take_output(bufs_)) {
    if (!conn_.writing() && conn_.done()) kill();
    return;
  }
  // The common case, room in the socket buffer: one non-blocking writev, no completion handler.
  boost::system::error_code ec;
  std::size_t n = sock_.write_some(bufs_, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    n = 0;
  }
  if (ec || n == asio::buffer_size(bufs_)) {
    on_written(ec);
    return;
  }
  // The rest when the socket takes it (EchoConn keeps the bytes until written()).
  std::size_t i = 0;
  for (; n >= bufs_[i].size(); ++i) n -= bufs_[i].size();
  bufs_.erase(bufs_.begin(), bufs_.begin() + static_cast<std::ptrdiff_t>(i));
  bufs_.front() += n;
  asio::async_write(sock_, bufs_,
                    [self = shared_from_this()](boost::system::error_code e, std::size_t) {
                      self->on_written(e);
                    });
}

void Link::on_written(boost::system::error_code ec) {
  conn_.written();
  if (dead_) return;
  if (ec || conn_.done()) {  // our close frame is out: close the TCP connection
    kill();
    return;
  }
  write();  // what was queued during the write
  read();   // resumes reading paused by back-pressure
}

void Link::kill() {
  if (dead_) return;
  dead_ = true;
  auto self = shared_from_this();  // the shard's references go below
  boost::system::error_code ec;
  sock_.shutdown(tcp::socket::shutdown_both, ec);
  sock_.close(ec);
  leave_group();
  shard_.live.erase(self);
  reg_.closed();
}

void Link::leave_group() {
  auto it = shard_.groups.find(group_);
  if (it == shard_.groups.end()) return;
  auto& members = it->second;
  auto me = std::find_if(members.begin(), members.end(), [this](auto& m) { return m.get() == this; });
  if (me != members.end()) {
    std::swap(*me, members.back());
    members.pop_back();
  }
  if (members.empty()) shard_.groups.erase(it);
}

// Every path: a WebSocket upgrade is taken over; anything else gets 426.
class EchoHandler : public http::Handler {
 public:
  explicit EchoHandler(Registry& reg) : reg_(reg) {}

  base::awaitable<http::Outcome> handle(http::Request req, http::Connection& conn) override {
    if (!websocket::is_upgrade(req))
      co_return co_await refuse(req, conn, http::Status::upgrade_required,
                                "natter-echo: WebSocket only\n", http::Field::upgrade, "websocket");
    if (req[http::Field::sec_websocket_version] != "13")
      co_return co_await refuse(req, conn, http::Status::upgrade_required,
                                "unsupported WebSocket version\n",
                                http::Field::sec_websocket_version, "13");
    std::string accept = engineio::ws::accept_key(req[http::Field::sec_websocket_key]);
    if (accept.empty())
      co_return co_await refuse(req, conn, http::Status::bad_request, "bad Sec-WebSocket-Key\n");
    std::string response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " + accept + "\r\n\r\n";
    std::string early = beast::buffers_to_string(conn.buffer.data());
    conn.buffer.clear();
    std::string_view path = http::target_path(req.target());
    std::string group;
    if (path.starts_with(kGroupPrefix)) group = path.substr(kGroupPrefix.size());
    Shard& shard = reg_.shard_of(conn.stream.get_executor());
    auto link = std::make_shared<Link>(conn.stream.release_socket(), reg_, shard, std::move(group));
    link->start(response, std::move(early));
    co_return http::Outcome{http::Disposition::taken, 101};
  }

 private:
  // A plain-text error response; `field: value` added when given.
  static base::awaitable<http::Outcome> refuse(const http::Request& req, http::Connection& conn,
                                               http::Status status, std::string text,
                                               http::Field field = http::Field::unknown,
                                               std::string_view value = {}) {
    auto res = http::make_response(req, status, std::move(text), "text/plain");
    if (field != http::Field::unknown) res.set(field, value);
    bool ok = co_await http::write_response(conn, res);
    co_return http::Outcome{ok ? http::Disposition::keep_alive : http::Disposition::close,
                            static_cast<unsigned>(status)};
  }

  Registry& reg_;
};

// Graceful stop: stop accepting, close every WebSocket, wait (bounded) until all are gone.
class Shutdown {
 public:
  Shutdown(base::IoPool& pool, http::Server& server, Registry& reg)
      : pool_(pool), server_(server), reg_(reg), signals_(pool.main(), SIGINT, SIGTERM),
        timer_(pool.main()) {}
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
      pool_.stop();
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(20));
    timer_.async_wait([this](boost::system::error_code) { tick(); });
  }

  base::IoPool& pool_;
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
  CLI::App app{"natter-echo: raw WebSocket echo (and /group/<name> broadcast) server on natter's "
               "HTTP server and WebSocket codec (the ceiling for `natter-bench echo`)"};
  app.add_option("--host", host, "listen address")->capture_default_str();
  app.add_option("--port", port, "TCP port (0: any free port)")
      ->envname("PORT")
      ->check(CLI::Range(0u, 65535u))
      ->capture_default_str();
  app.add_option("--threads", threads, "I/O threads (0: one per core)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  base::IoPool pool(threads);
  Registry reg(pool);
  http::ServerOptions opts;
  opts.host = host;
  opts.port = static_cast<unsigned short>(port);
  opts.connection_executor = [&pool] { return pool.next(); };
  http::Server server(pool.main(), opts);
  server.set_fallback(std::make_shared<EchoHandler>(reg));
  Shutdown shutdown(pool, server, reg);
  shutdown.arm();
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "natter-echo: cannot listen on %s:%u: %s\n", host.c_str(), port, e.what());
    return 1;
  }
  std::fprintf(stderr, "natter-echo listening on %s:%u (%u threads)\n", host.c_str(),
               static_cast<unsigned>(server.port()), threads);
  pool.run();
  return 0;
}
