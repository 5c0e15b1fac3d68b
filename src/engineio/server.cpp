#include "engineio/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse_query.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "base/log.hpp"
#include "base/object_id.hpp"
#include "engineio/transport.hpp"
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/core/string.hpp>
#include "http/response.hpp"

namespace engineio {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using http::Field;
using http::Status;
using http::Verb;

namespace {
bool header_has_token(const http::Request& req, Field f, std::string_view token) {
  // Comma-separated, case-insensitive tokens (Connection: keep-alive, Upgrade).
  std::string_view v = req[f];
  while (!v.empty()) {
    auto comma = v.find(',');
    auto item = v.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (beast::iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

// The server's answer to a WebSocket upgrade request: 101 with Sec-WebSocket-Accept, or the error
// response (426 for another protocol version, 400 otherwise), as Beast's accept would answer.
std::string websocket_handshake_response(const http::Request& req) {
  auto error = [](std::string_view status, std::string_view extra, std::string_view why) {
    std::string r = "HTTP/1.1 ";
    r.append(status).append("\r\nConnection: close\r\nContent-Type: text/plain\r\n");
    r.append(extra).append("Content-Length: ").append(std::to_string(why.size()));
    r.append("\r\n\r\n").append(why);
    return r;
  };
  if (req.version() != 11 || req.method() != Verb::get ||
      !header_has_token(req, Field::connection, "upgrade") ||
      !header_has_token(req, Field::upgrade, "websocket"))
    return error("400 Bad Request", {}, "not a WebSocket upgrade request");
  if (req[Field::sec_websocket_version] != "13")
    return error("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n",
                 "unsupported WebSocket version");
  std::string accept = ws::accept_key(req[Field::sec_websocket_key]);
  if (accept.empty()) return error("400 Bad Request", {}, "bad Sec-WebSocket-Key");
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  r.append(accept).append("\r\n\r\n");
  return r;
}

// 88 random bits: 15 base64url characters, which std::string keeps inline (no heap block for
// the id, nor for its copies as map keys). Guessing one stays out of reach (2^88).
constexpr std::size_t kSessionIdBytes = 11;

// Runs f() (returning std::optional<PollAnswer>) on the session's strand; a value completes `w`.
// Plain posted handlers, no coroutine lambdas: GCC 12 miscompiles captured state in those.
template <class F>
void run_on(const SessionPtr& s, const std::shared_ptr<PollWaiter>& w, F f) {
  asio::post(s->executor(), [w, f = std::move(f)]() mutable {
    std::optional<PollAnswer> a = f();
    if (a) complete_poll(w, std::move(*a));
  });
}

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("engineio: {}", ex.what());
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view error_message(ErrorCode c) {
  switch (c) {
    case ErrorCode::unknown_transport: return "Transport unknown";
    case ErrorCode::unknown_sid: return "Session ID unknown";
    case ErrorCode::bad_handshake_method: return "Bad handshake method";
    case ErrorCode::bad_request: return "Bad request";
    case ErrorCode::forbidden: return "Forbidden";
    case ErrorCode::unsupported_protocol_version: return "Unsupported protocol version";
  }
  return "Bad request";
}


}  // namespace

const std::string* HandshakeInfo::query_param(std::string_view name) const {
  for (auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

const std::string* HandshakeInfo::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (iequals(k, name)) return &v;
  return nullptr;
}

std::shared_ptr<Server> Server::create(asio::io_context& ioc, Options opts,
                                       std::shared_ptr<engineio::Handler> handler) {
  return std::make_shared<Server>(ioc, std::move(opts), std::move(handler));
}

Server::Server(asio::io_context& ioc, Options opts, std::shared_ptr<engineio::Handler> handler)
    : ioc_(ioc), opts_(std::move(opts)), handler_(std::move(handler)) {}

std::uint64_t Server::body_limit(const http::Request&) const { return opts_.max_payload; }

std::size_t Server::session_count() const {
  std::lock_guard lk(mu_);
  return sessions_.size();
}

SessionPtr Server::find(const std::string& sid) const {
  std::lock_guard lk(mu_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

void Server::remove(const std::string& sid) {
  SessionPtr keep;  // destroyed outside the lock
  std::lock_guard lk(mu_);
  auto it = sessions_.find(sid);
  if (it != sessions_.end()) {
    keep = std::move(it->second);
    sessions_.erase(it);
  }
}

void Server::shutdown() {
  stopping_ = true;
  std::vector<SessionPtr> all;
  {
    std::lock_guard lk(mu_);
    all.reserve(sessions_.size());
    for (auto& [id, s] : sessions_) all.push_back(s);
  }
  for (auto& s : all) s->close(CloseReason::server_shutdown);
}

std::string Server::open_packet(const std::string& sid, Transport t) const {
  std::string s;
  s.reserve(128);
  s += R"({"sid":")";
  s += sid;
  s += R"(","upgrades":[)";
  if (t == Transport::polling && opts_.allow_websocket) s += R"("websocket")";
  s += R"(],"pingInterval":)";
  s += std::to_string(opts_.ping_interval.count());
  s += R"(,"pingTimeout":)";
  s += std::to_string(opts_.ping_timeout.count());
  s += R"(,"maxPayload":)";
  s += std::to_string(opts_.max_payload);
  s += '}';
  return s;
}

void Server::add_cors(const http::Request& req, http::Response& res) const {
  if (opts_.cors_origins.empty()) return;
  auto origin = req[Field::origin];
  bool any = std::find(opts_.cors_origins.begin(), opts_.cors_origins.end(), "*") !=
             opts_.cors_origins.end();
  if (any && !opts_.cors_credentials) {
    res.set(Field::access_control_allow_origin, "*");
    return;
  }
  if (origin.empty()) return;
  bool listed = any || std::find(opts_.cors_origins.begin(), opts_.cors_origins.end(), origin) !=
                           opts_.cors_origins.end();
  if (!listed) return;
  res.set(Field::access_control_allow_origin, origin);
  res.set(Field::vary, "Origin");
  if (opts_.cors_credentials) res.set(Field::access_control_allow_credentials, "true");
}

base::awaitable<http::Outcome> Server::reply(http::Request& req, http::Connection& conn,
                                             http::Response res, bool close) {
  add_cors(req, res);
  if (close) res.keep_alive(false);
  unsigned status = res.result_int();
  bool ok = co_await http::write_response(conn, res);
  bool keep = ok && !close && res.keep_alive();
  co_return http::Outcome{keep ? http::Disposition::keep_alive : http::Disposition::close, status};
}

// The one place Engine.IO errors become HTTP responses.
base::awaitable<http::Outcome> Server::reply_error(http::Request& req, http::Connection& conn,
                                                   ErrorCode code, std::string_view message) {
  if (message.empty()) message = error_message(code);
  auto status = code == ErrorCode::forbidden ? Status::forbidden : Status::bad_request;
  boost::json::object body;
  body["code"] = static_cast<int>(code);
  body["message"] = message;
  // A refused WebSocket upgrade gets the error and the connection is closed.
  bool close = websocket::is_upgrade(req);
  co_return co_await reply(req, conn, http::json_response(req, status, body), close);
}

base::awaitable<http::Outcome> Server::handle(http::Request req, http::Connection& conn) {
  std::string_view eio, transport, sid;
  // NUL-terminated copy: Debian's libboost_url 1.81 parse_query() runs strlen() on its input.
  const std::string parsed_q(http::target_query(req.target()));
  auto parsed = boost::urls::parse_query(parsed_q);
  if (!parsed) co_return co_await reply_error(req, conn, ErrorCode::bad_request);
  boost::urls::encoding_opts eopt;
  eopt.space_as_plus = true;
  std::vector<std::pair<std::string, std::string>> query;
  for (auto p : *parsed) {
    query.emplace_back(p.key.decode(eopt), p.has_value ? p.value.decode(eopt) : std::string());
  }
  for (auto& [k, v] : query) {
    if (k == "EIO" && eio.empty()) eio = v;
    if (k == "transport" && transport.empty()) transport = v;
    if (k == "sid" && sid.empty()) sid = v;
  }

  if (req.method() == Verb::options) {
    http::Response res = http::make_response(req, Status::no_content, {}, {});
    if (!opts_.cors_origins.empty()) {
      res.set(Field::access_control_allow_methods, "GET,HEAD,PUT,PATCH,POST,DELETE");
      auto requested = req[Field::access_control_request_headers];
      if (!requested.empty()) res.set(Field::access_control_allow_headers, requested);
    }
    co_return co_await reply(req, conn, std::move(res));
  }

  Transport t;
  if (transport == "polling" && opts_.allow_polling)
    t = Transport::polling;
  else if (transport == "websocket" && opts_.allow_websocket)
    t = Transport::websocket;
  else
    co_return co_await reply_error(req, conn, ErrorCode::unknown_transport);
  bool upgrade = websocket::is_upgrade(req);
  if (t == Transport::websocket && !upgrade)
    co_return co_await reply_error(req, conn, ErrorCode::bad_request);

  if (!sid.empty()) {
    auto s = find(std::string(sid));
    if (!s) co_return co_await reply_error(req, conn, ErrorCode::unknown_sid);
    if (t == Transport::websocket) co_return take_websocket(std::move(req), conn, s, nullptr);
    co_return co_await handle_polling(std::move(req), conn, std::move(s));
  }

  if (req.method() != Verb::get)
    co_return co_await reply_error(req, conn, ErrorCode::bad_handshake_method);
  if (eio != "4")
    co_return co_await reply_error(req, conn, ErrorCode::unsupported_protocol_version);
  if (stopping_) {
    auto res = http::make_response(req, Status::service_unavailable, {}, {});
    co_return co_await reply(req, conn, std::move(res), true);
  }

  auto hs = std::make_shared<HandshakeInfo>();
  hs->query = std::move(query);
  for (auto& f : req) {
    std::string name = lower(f.name_string());
    if (!opts_.handshake_headers.empty() &&
        std::find(opts_.handshake_headers.begin(), opts_.handshake_headers.end(), name) ==
            opts_.handshake_headers.end())
      continue;
    hs->headers.emplace_back(std::move(name), std::string(f.value()));
  }
  hs->remote_address = conn.remote.address().to_string();
  hs->remote_port = conn.remote.port();
  hs->url = std::string(req.target());
  hs->transport = t;
  if (opts_.allow_request) {
    if (auto refusal = opts_.allow_request(*hs))
      co_return co_await reply_error(req, conn, ErrorCode::forbidden, *refusal);
  }
  if (t == Transport::websocket) co_return take_websocket(std::move(req), conn, nullptr, hs);
  co_return co_await handshake_polling(std::move(req), conn, std::move(hs));
}

base::awaitable<http::Outcome> Server::handshake_polling(
    http::Request req, http::Connection& conn, std::shared_ptr<const HandshakeInfo> hs) {
  auto strand = opts_.session_executor ? opts_.session_executor()
                                       : asio::any_io_executor(asio::make_strand(ioc_));
  auto s = std::make_shared<Session>(base::random_token(kSessionIdBytes), shared_from_this(), strand,
                                     std::move(hs), Transport::polling);
  {
    std::lock_guard lk(mu_);
    sessions_.emplace(s->id(), s);
  }
  // The handshake GET carries the open packet and whatever the handler queued in on_open.
  auto w = std::make_shared<PollWaiter>(conn.stream.get_executor());
  run_on(s, w, [s]() -> std::optional<PollAnswer> {
    s->open();
    std::string b = s->take_payload();
    if (s->phase_ == Session::Phase::draining) s->finish();
    return PollAnswer{200, std::move(b)};
  });
  while (!w->done) co_await w->timer.async_wait(base::as_result);
  std::string body = std::move(w->answer.body);
  auto res = http::make_response(req, Status::ok, std::move(body), "text/plain; charset=UTF-8");
  res.set(Field::cache_control, "no-store");
  co_return co_await reply(req, conn, std::move(res));
}

base::awaitable<http::Outcome> Server::handle_polling(http::Request req, http::Connection& conn,
                                                      SessionPtr s) {
  using namespace asio::experimental::awaitable_operators;
  std::optional<PollAnswer> answer;
  bool is_get = req.method() == Verb::get;
  if (is_get) {
    auto w = std::make_shared<PollWaiter>(conn.stream.get_executor());
    run_on(s, w, [s, w] { return s->begin_poll(w); });
    {
      // Hold the request. Watch the socket meanwhile: a client that gives up on the poll
      // (TCP close) closes the session ([ref] "poll connection closed prematurely").
      auto& sock = conn.stream.socket();
      bool watch = true;
      while (!w->done) {
        if (!watch) {
          co_await w->timer.async_wait(base::as_result);
          continue;
        }
        auto r = co_await (w->timer.async_wait(base::as_result) ||
                           sock.async_wait(tcp::socket::wait_read, base::as_result));
        if (r.index() == 1 && !w->done) {
          boost::system::error_code ec = std::get<0>(std::get<1>(r));
          // Readiness can be stale (reported for the bytes of this very request, which the
          // read before already took), so ask the socket: EOF or an error is the client gone,
          // nothing yet is a spurious wakeup, bytes are a pipelined request.
          char byte;
          const auto n = ec ? -1 : ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n < 0 && !ec && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
          if (n <= 0) {
            asio::post(s->executor(), [s, w] { s->poll_aborted(w); });
            co_return http::Outcome{http::Disposition::close, 499};
          }
          watch = false;  // a pipelined request is waiting; stop watching
        }
      }
      answer = std::move(w->answer);
    }
  } else if (req.method() == Verb::post) {
    bool octet = req[Field::content_type].starts_with("application/octet-stream");
    auto w = std::make_shared<PollWaiter>(conn.stream.get_executor());
    run_on(s, w, [s, body = std::move(req.body()), octet]() -> std::optional<PollAnswer> {
      return s->on_post(body, octet);
    });
    while (!w->done) co_await w->timer.async_wait(base::as_result);
    answer = std::move(w->answer);
  } else {
    co_return co_await reply(req, conn,
                             http::make_response(req, Status::internal_server_error, {}, {}));
  }
  if (answer->error_code >= 0)
    co_return co_await reply_error(req, conn, static_cast<ErrorCode>(answer->error_code));
  if (answer->status != 200) {
    auto res = http::make_response(req, static_cast<Status>(answer->status), {}, {});
    co_return co_await reply(req, conn, std::move(res));
  }
  auto res = http::make_response(req, Status::ok, std::move(answer->body),
                                 is_get ? "text/plain; charset=UTF-8" : "text/html");
  if (is_get) res.set(Field::cache_control, "no-store");
  co_return co_await reply(req, conn, std::move(res));
}

http::Outcome Server::take_websocket(http::Request req, http::Connection& conn, SessionPtr s,
                                     std::shared_ptr<const HandshakeInfo> hs) {
  if (conn.buffer.size() > 0)
    spdlog::debug("engineio: {} bytes after the upgrade request ignored", conn.buffer.size());
  tcp::socket sock = conn.stream.release_socket();
  if (!s) {
    // A new WebSocket session runs on the connection's strand.
    auto strand = sock.get_executor();
    s = std::make_shared<Session>(base::random_token(kSessionIdBytes), shared_from_this(), strand,
                                  std::move(hs), Transport::websocket);
    asio::co_spawn(strand, run_websocket(s, std::move(sock), std::move(req), false),
                   log_exception);
  } else {
    // Upgrade: move the socket onto the session's strand so one strand serialises everything.
    boost::system::error_code ec;
    auto ep = sock.local_endpoint(ec);
    if (ec) return {http::Disposition::taken, 101};
    tcp::socket moved(s->executor());
    moved.assign(ep.protocol(), sock.release(ec), ec);
    if (ec) return {http::Disposition::taken, 101};
    auto ex = s->executor();
    asio::co_spawn(ex, run_websocket(std::move(s), std::move(moved), std::move(req), true),
                   log_exception);
  }
  return {http::Disposition::taken, 101};
}

base::awaitable<void> Server::run_websocket(SessionPtr s, tcp::socket sock, http::Request req,
                                            bool upgrade) {
  // The opening handshake (RFC 6455 §4.2), answered here rather than by a Beast websocket
  // stream (whose accept cost a fifth of a connect); then the lean transport (WsConn) takes the
  // raw socket over, and this frame ends.
  std::string answer = websocket_handshake_response(req);
  req = {};
  const bool accepted = answer.starts_with("HTTP/1.1 101");
  boost::system::error_code ec;
  sock.non_blocking(true, ec);
  std::size_t sent = ec ? 0 : sock.write_some(asio::buffer(answer), ec);  // fits in an empty buffer
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  if (!ec && sent < answer.size()) {
    auto [wec, n] = co_await asio::async_write(sock, asio::buffer(answer.data() + sent,
                                                                  answer.size() - sent),
                                               base::as_result);
    ec = wec;
  }
  if (ec || !accepted) {
    sock.shutdown(tcp::socket::shutdown_send, ec);
    sock.close(ec);
    co_return;
  }
  auto c = std::make_shared<WsConn>(std::move(sock), opts_.max_payload);

  if (!upgrade) {
    {
      std::lock_guard lk(mu_);
      sessions_.emplace(s->id(), s);
    }
    s->attach_ws(c);
    s->open();
  } else if (!s->begin_probe(c)) {
    // Already upgraded (or upgrading / opened over WebSocket): accept, then close (A7).
    s->ws_close(c, false);
  } else {
    c->upgrade_timer = std::make_unique<asio::steady_timer>(s->executor(), opts_.upgrade_timeout);
    c->upgrade_timer->async_wait([s, c](boost::system::error_code tec) {
      if (!tec) s->drop_candidate(c);
    });
  }
  s->ws_read(c);
}

}  // namespace engineio
