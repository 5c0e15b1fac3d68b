#include "http/server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <limits>

#include "base/log.hpp"
#include "http/response.hpp"

namespace http {

struct Server::Tracked {
  explicit Tracked(tcp::socket s) : conn(std::move(s)) {}
  Connection conn;
  bool idle = true;  // waiting for a request header; only touched on the connection's strand
};

base::awaitable<bool> write_response(Connection& conn, Response& res) {
  auto [ec, n] = co_await beast::http::async_write(conn.stream, res, base::as_result);
  (void)n;
  co_return !ec;
}

Server::Server(asio::io_context& ioc, ServerOptions opts)
    : ioc_(ioc), opts_(std::move(opts)), acceptor_(asio::make_strand(ioc)) {}

Server::~Server() = default;

void Server::mount(std::string prefix, std::shared_ptr<Handler> h) {
  mounts_.emplace_back(std::move(prefix), std::move(h));
  std::sort(mounts_.begin(), mounts_.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void Server::set_fallback(std::shared_ptr<Handler> h) { fallback_ = std::move(h); }

void Server::start() {
  tcp::endpoint ep{asio::ip::make_address(opts_.host), opts_.port};
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  bound_port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  for (auto& [prefix, h] : mounts_) h->shutdown();
  if (fallback_) fallback_->shutdown();
  std::lock_guard lk(mu_);
  for (auto& t : live_) {
    asio::post(t->conn.stream.get_executor(), [t] {
      if (t->idle) {
        boost::system::error_code ec;
        t->conn.stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        t->conn.stream.socket().close(ec);
      }
    });
  }
}

std::size_t Server::open_connections() const {
  std::lock_guard lk(mu_);
  return live_.size();
}

Handler* Server::route(std::string_view target) const {
  auto path = target_path(target);
  for (auto& [prefix, h] : mounts_)
    if (path.substr(0, prefix.size()) == prefix) return h.get();
  return fallback_.get();
}

base::awaitable<void> Server::accept_loop() {
  for (;;) {
    // Each connection gets its own strand (or its pool thread's context).
    auto ex = opts_.connection_executor ? opts_.connection_executor()
                                        : asio::any_io_executor(asio::make_strand(ioc_));
    auto [ec, sock] = co_await acceptor_.async_accept(ex, base::as_result);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) co_return;
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        spdlog::warn("accept: {} (raise the open-file limit)", ec.message());
        asio::steady_timer t(acceptor_.get_executor(), std::chrono::milliseconds(50));
        co_await t.async_wait(base::as_result);
      }
      continue;
    }
    if (stopping_) co_return;
    sock.set_option(tcp::no_delay(true), ec);
    auto t = std::make_shared<Tracked>(std::move(sock));
    t->conn.remote = t->conn.stream.socket().remote_endpoint(ec);
    {
      std::lock_guard lk(mu_);
      live_.insert(t);
    }
    auto conn_ex = t->conn.stream.get_executor();
    asio::co_spawn(conn_ex, serve(t), [this, t](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& err) {
          spdlog::error("connection {}: {}", t->conn.remote.address().to_string(), err.what());
        }
      }
      std::lock_guard lk(mu_);
      live_.erase(t);
    });
  }
}

namespace {
// Closes after an early response (413) while the client may still be sending its body: closing
// with unread data would reset the connection and the client could miss the response. Reads and
// discards for a bounded time and size first.
base::awaitable<void> linger_close(Connection& conn) {
  boost::system::error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  conn.stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  std::size_t total = 0;
  while (total < (64u << 20)) {
    auto [rec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), base::as_result);
    if (rec) break;
    total += n;
  }
  conn.stream.close();
}
}  // namespace

base::awaitable<void> Server::serve(std::shared_ptr<Tracked> t) {
  Connection& conn = t->conn;
  for (;;) {
    t->idle = true;
    if (stopping_) break;
    beast::http::request_parser<beast::http::string_body> parser;
    parser.header_limit(opts_.header_limit);
    // The body limit depends on the route, known only once the header is parsed; Beast checks
    // Content-Length against the limit while parsing the header, so lift it until then.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    conn.stream.expires_after(opts_.header_timeout);
    auto [ec, n] = co_await beast::http::async_read_header(conn.stream, conn.buffer, parser,
                                                           base::as_result);
    t->idle = false;
    if (ec) {
      if (ec != beast::http::error::end_of_stream && ec != asio::error::eof &&
          ec != beast::error::timeout && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset && ec != asio::error::bad_descriptor) {
        Request bad{Verb::get, "/", 11};
        bad.keep_alive(false);
        auto res = detail_response(bad, Status::bad_request, "Malformed HTTP request");
        conn.stream.expires_after(std::chrono::seconds(5));
        co_await write_response(conn, res);
      }
      break;
    }
    Handler* h = route(parser.get().target());
    if (h == nullptr) break;
    const std::uint64_t limit = h->body_limit(parser.get());
    parser.body_limit(limit);  // enforced while reading chunked bodies
    if (auto len = parser.content_length(); len && *len > limit) {
      Request hdr{parser.get().method(), parser.get().target(), parser.get().version()};
      hdr.keep_alive(false);
      auto res = detail_response(hdr, Status::payload_too_large, "Request body too large");
      co_await write_response(conn, res);
      spdlog::debug("{} {} {} 413", conn.remote.address().to_string(),
                    std::string(parser.get().method_string()), std::string(parser.get().target()));
      co_await linger_close(conn);
      co_return;
    }
    if (!parser.is_done()) {
      conn.stream.expires_after(opts_.body_timeout);
      auto [ec2, n2] = co_await beast::http::async_read(conn.stream, conn.buffer, parser,
                                                        base::as_result);
      if (ec2) {
        if (ec2 == beast::http::error::body_limit) {
          Request hdr{parser.get().method(), parser.get().target(), parser.get().version()};
          hdr.keep_alive(false);
          auto res = detail_response(hdr, Status::payload_too_large, "Request body too large");
          co_await write_response(conn, res);
        }
        break;
      }
    }
    conn.stream.expires_never();
    Request req = parser.release();
    auto method = req.method_string();
    std::string target(req.target());
    std::string m(method);
    bool keep = req.keep_alive();
    Outcome out = co_await h->handle(std::move(req), conn);
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("{} {} {} {}", conn.remote.address().to_string(), m, target, out.status);
    if (out.disposition == Disposition::taken) co_return;
    if (out.disposition == Disposition::close || !keep) break;
  }
  boost::system::error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  conn.stream.close();
}

}  // namespace http
