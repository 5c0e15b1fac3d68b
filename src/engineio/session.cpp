#include "engineio/session.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <span>

#include "base/log.hpp"
#include "engineio/server.hpp"
#include "engineio/transport.hpp"

namespace engineio {

namespace asio = boost::asio;

namespace {
// Control frames are shared by every session.
const Frame& ping_frame() {
  static const Frame f = Frame::control(PacketType::ping);
  return f;
}
// While an upgrade is in progress a GET is answered with a noop after this delay, so that a
// client that pauses polling can finish its upgrade ([ref] engine.io re-checks every 100 ms). A
// GET that races the final "5" gets 400 instead.
constexpr std::chrono::milliseconds kUpgradeNoopDelay{100};
}  // namespace

std::string_view to_string(CloseReason r) {
  switch (r) {
    case CloseReason::transport_close: return "transport close";
    case CloseReason::transport_error: return "transport error";
    case CloseReason::ping_timeout: return "ping timeout";
    case CloseReason::parse_error: return "parse error";
    case CloseReason::forced_close: return "forced close";
    case CloseReason::server_shutdown: return "server shutting down";
    case CloseReason::slow_consumer: return "slow consumer";
  }
  return "unknown";
}

void complete_poll(const std::shared_ptr<PollWaiter>& w, PollAnswer a) {
  asio::post(w->timer.get_executor(), [w, a = std::move(a)]() mutable {
    if (w->done) return;
    w->done = true;
    w->answer = std::move(a);
    w->timer.cancel();
  });
}

Session::Session(std::string id, std::shared_ptr<Server> server, asio::any_io_executor strand,
                 std::shared_ptr<const HandshakeInfo> handshake, Transport transport)
    : id_(std::move(id)),
      server_(std::move(server)),
      strand_(std::move(strand)),
      handshake_(std::move(handshake)),
      transport_(transport),
      wheel_(TimerWheel::of(strand_)) {
  deadline_.owner = this;
  if (const auto* ex = strand_.target<asio::io_context::executor_type>())
    pending_ = &asio::use_service<PendingWrites>(ex->context());
}

Session::~Session() { wheel_.cancel(deadline_); }

namespace {
std::shared_ptr<const HandshakeInfo> bare_handshake(Transport t) {
  auto h = std::make_shared<HandshakeInfo>();
  h->transport = t;
  return h;
}
}  // namespace

void Session::release_queue() {
  std::vector<Frame>().swap(queue_);  // an idle session keeps no capacity
  queued_bytes_ = 0;
}

void Session::trim_handshake() {
  // One shared, empty record per transport: nothing left per connection.
  static const auto polling = bare_handshake(Transport::polling);
  static const auto websocket = bare_handshake(Transport::websocket);
  handshake_ = handshake_->transport == Transport::websocket ? websocket : polling;
}

void Session::send(Frame frame) {
  asio::dispatch(strand_, [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->enqueue(std::move(f));
  });
}

void Session::send(std::vector<Frame> frames) {
  asio::dispatch(strand_, [self = shared_from_this(), fs = std::move(frames)] { self->send_here(fs); });
}

void Session::send_here(const std::vector<Frame>& frames) {
  if (phase_ != Phase::open) return;
  for (const auto& f : frames) {
    queued_bytes_ += f.size();
    queue_.push_back(f);
  }
  enqueue(Frame());  // bound check + flush
}

void Session::close() { close(CloseReason::forced_close); }

void Session::close(CloseReason reason) {
  asio::dispatch(strand_, [self = shared_from_this(), reason] { self->end(reason, true); });
}

void Session::open() {
  queue_.push_back(Frame::control(PacketType::open, server_->open_packet(id_, transport())));
  handler_told_ = true;
  server_->handler().on_open(shared_from_this(), *handshake_);
  if (phase_ != Phase::open) return;
  schedule_ping();
  flush();
}

void Session::enqueue(Frame f) {
  if (phase_ != Phase::open) return;
  if (!f.empty()) {
    queued_bytes_ += f.size();
    queue_.push_back(std::move(f));
  }
  const auto& o = server_->options();
  if (queue_.size() > o.max_queued_frames || queued_bytes_ > o.max_queued_bytes) {
    spdlog::debug("engineio {}: outbound queue full ({} frames, {} bytes)", id_, queue_.size(),
                  queued_bytes_);
    end(CloseReason::slow_consumer, false);
    return;
  }
  flush();
}

// The WebSocket sessions of one io_context with a deferred write pending, written by one posted
// handler (Session::flush). Only sessions whose executor is the plain io_context executor use it:
// such a context is run by one thread (base::IoPool), so its handlers, this one's included, never
// run concurrently. An Asio service: the list ends with its context (shutdown() releases sessions
// still waiting, as the context releases the handlers it never ran).
class PendingWrites : public asio::execution_context::service {
 public:
  using key_type = PendingWrites;
  static asio::execution_context::id id;
  explicit PendingWrites(asio::execution_context& ctx) : service(ctx) {}

  std::vector<std::shared_ptr<Session>> sessions;
  bool posted = false;

 private:
  void shutdown() override { std::vector<std::shared_ptr<Session>>().swap(sessions); }
};
asio::execution_context::id PendingWrites::id;

void Session::flush() {
  if (queue_.empty()) return;
  if (transport() == Transport::websocket) {
    // Deferred to the end of the current run of handlers: frames queued meanwhile (a burst of
    // broadcasts, a batch of committed messages) leave in one write instead of one each, and
    // all the sessions of a thread that have something to write share one posted handler.
    if (flush_posted_ || !ws_ || ws_->writing) return;
    flush_posted_ = true;
    if (pending_ == nullptr) {  // on a strand: a post of its own
      asio::post(strand_, [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->ws_write_next();
      });
      return;
    }
    auto& p = *pending_;
    p.sessions.push_back(shared_from_this());
    if (p.posted) return;
    p.posted = true;
    asio::post(strand_, [&p] {
      auto sessions = std::move(p.sessions);
      p.sessions.clear();
      p.posted = false;
      for (auto& s : sessions) {
        s->flush_posted_ = false;
        s->ws_write_next();
      }
      // Keep the vector's capacity for the next burst when nothing was queued meanwhile.
      if (p.sessions.empty()) {
        sessions.clear();
        p.sessions.swap(sessions);
      }
    });
  } else if (poll_) {
    answer_poll(PollAnswer{200, take_payload()});
  }
}

std::string Session::take_payload() {
  std::string body = encode_payload(queue_);
  release_queue();
  return body;
}

void Session::answer_poll(PollAnswer a) {
  auto w = std::move(poll_);
  poll_.reset();
  if (w) complete_poll(w, std::move(a));
}

bool Session::on_packet(Packet p) {
  if (phase_ != Phase::open) return false;
  switch (p.type) {
    case PacketType::message:
      server_->handler().on_message(shared_from_this(), Message{std::move(p.data), p.binary});
      return phase_ == Phase::open;
    case PacketType::pong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        schedule_ping();
      }
      return true;
    case PacketType::close:
      // The client closes: a held GET ends with a noop, not a close packet (EIO4 suite).
      if (poll_) answer_poll(PollAnswer{200, "6"});
      end(CloseReason::transport_close, false);
      return false;
    case PacketType::ping:
      // v4: the server pings, never the client ([ref] "invalid heartbeat direction").
      end(CloseReason::transport_error, false);
      return false;
    case PacketType::open:
    case PacketType::upgrade:
    case PacketType::noop:
      return true;
  }
  return true;
}

void Session::end(CloseReason reason, bool graceful) {
  if (phase_ != Phase::open) return;
  phase_ = Phase::draining;
  awaiting_pong_ = false;
  wheel_.cancel(deadline_);
  deadline_generation_ = 0;
  if (candidate_) {
    ws_close(candidate_, true);
    candidate_.reset();
  }
  if (!graceful) {
    release_queue();
  }
  if (transport() == Transport::websocket) {
    // The writer closes the WebSocket once the queue is empty.
    if (ws_) {
      if (graceful)
        ws_write_next();
      else
        ws_close(ws_, reason != CloseReason::transport_close);
    }
    finish();
  } else if (graceful) {
    // The close packet travels alone, in a response after the queued packets ([ref]: `41`, then
    // `6\x1e1`). socket.io-client handles Socket.IO packets a tick late but a close at once, so
    // a close sharing a payload with a DISCONNECT would be seen first ("transport close"
    // instead of "io server disconnect").
    if (poll_ && queue_.empty()) {
      answer_poll(PollAnswer{200, "1"});
      finish();
    } else {
      if (poll_) answer_poll(PollAnswer{200, take_payload()});
      // Keep the sid until the client's next GET collects the close packet ([ref] waits too).
      set_deadline(server_->options().ping_interval + server_->options().ping_timeout);
    }
  } else {
    if (poll_) answer_poll(PollAnswer{200, "1"});
    finish();
  }
  if (handler_told_) {
    handler_told_ = false;
    server_->handler().on_close(shared_from_this(), reason);
  }
  user.reset();
}

void Session::finish() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  wheel_.cancel(deadline_);
  deadline_generation_ = 0;
  server_->remove(id_);
}

std::optional<PollAnswer> Session::begin_poll(const std::shared_ptr<PollWaiter>& w) {
  if (phase_ == Phase::closed) return PollAnswer{400, {}, int(ErrorCode::unknown_sid)};
  if (transport() == Transport::websocket) return PollAnswer{400, {}, int(ErrorCode::bad_request)};
  if (poll_) {
    // EIO4 §Receiving data: a second concurrent GET closes the session; the first gets "1".
    end(CloseReason::transport_error, false);
    return PollAnswer{400, {}};
  }
  if (phase_ == Phase::draining) {
    if (!queue_.empty()) return PollAnswer{200, take_payload()};  // the close comes next
    finish();
    return PollAnswer{200, "6\x1e" "1"};
  }
  if (!queue_.empty()) return PollAnswer{200, take_payload()};
  poll_ = w;
  if (upgrade_ == Upgrade::upgrading) {
    auto t = std::make_shared<asio::steady_timer>(strand_, kUpgradeNoopDelay);
    t->async_wait([self = shared_from_this(), t, w](boost::system::error_code) {
      if (self->poll_ == w && self->upgrade_ == Upgrade::upgrading)
        self->answer_poll(PollAnswer{200, "6"});
    });
  }
  return std::nullopt;
}

void Session::poll_aborted(const std::shared_ptr<PollWaiter>& w) {
  if (poll_ != w) return;
  poll_.reset();
  end(CloseReason::transport_close, false);
}

PollAnswer Session::on_post(std::string_view body, bool octet_stream) {
  if (phase_ == Phase::closed) return PollAnswer{400, {}, int(ErrorCode::unknown_sid)};
  if (transport() == Transport::websocket) return PollAnswer{400, {}, int(ErrorCode::bad_request)};
  if (phase_ == Phase::draining) return PollAnswer{200, "ok"};
  if (octet_stream) {
    // v3 binary payloads; v4 clients never send them ([ref] 400 and close).
    end(CloseReason::transport_error, false);
    return PollAnswer{400, {}};
  }
  auto packets = decode_payload(body);
  if (!packets) {
    spdlog::debug("engineio {}: bad payload: {}", id_, to_string(packets.error()));
    end(CloseReason::parse_error, false);
    return PollAnswer{400, {}};
  }
  for (auto& p : *packets)
    if (!on_packet(std::move(p))) break;
  return PollAnswer{200, "ok"};
}

// ---- WebSocket ----

namespace {
// Payloads up to this size are copied next to their header (fewer iovecs); larger ones are
// written from the shared frame bytes.
constexpr std::size_t kCopyPayload = 512;
constexpr std::size_t kReadBuffer = 64 * 1024;
// Up to this many queued frames are written directly from their shared bytes (ws_write_direct).
constexpr std::size_t kDirectFrames = 16;
}  // namespace

void Session::attach_ws(std::shared_ptr<WsConn> c) { ws_ = std::move(c); }

void Session::ws_write_next() {
  if (!ws_ || ws_->writing) return;
  if (phase_ != Phase::open && queue_.empty()) {
    ws_close(ws_, false);
    return;
  }
  ws_write(ws_);
}

void Session::ws_write(const std::shared_ptr<WsConn>& c) {
  if (c->writing || c->dead) return;
  const bool data = c == ws_ && !c->closing && !queue_.empty();
  bool send_close = c->closing && !c->close_queued;
  if (!data && !c->has_ctrl() && !send_close) return;
  if (!send_close && (data ? queue_.size() : 0) <= kDirectFrames && ws_write_direct(c, data))
    return;

  auto& o = c->out();
  if (data) {
    o.inflight.swap(queue_);
    release_queue();
  }
  // Bytes besides large payloads go to wbuf, reserved up front so it never moves.
  std::size_t cap = o.ctrl.size() + 4;
  std::size_t large = 0;
  for (auto& f : o.inflight) {
    cap += ws::kMaxHeader;
    if (f.size() <= kCopyPayload)
      cap += f.size();
    else
      ++large;
  }
  std::string& w = o.wbuf;
  w = std::move(o.ctrl);
  o.ctrl = std::string();
  w.reserve(cap);
  // Segments: [wbuf from, to) or a payload.
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(2 * large + 2);
  std::size_t seg = 0;  // start of the current wbuf segment
  for (auto& f : o.inflight) {
    unsigned char h[ws::kMaxHeader];
    auto bytes = f.wire();
    std::size_t hn =
        ws::encode_header(h, f.is_binary() ? ws::Opcode::binary : ws::Opcode::text, bytes.size());
    w.append(reinterpret_cast<const char*>(h), hn);
    if (bytes.size() <= kCopyPayload) {
      w.append(bytes);
    } else {
      bufs.emplace_back(w.data() + seg, w.size() - seg);
      seg = w.size();
      bufs.emplace_back(bytes.data(), bytes.size());
    }
  }
  if (send_close) {
    c->close_queued = true;
    unsigned char h[4] = {0x88, 0, 0, 0};
    std::size_t n = 2;
    if (c->close_code != kCloseNoCode) {
      h[1] = 2;
      h[2] = static_cast<unsigned char>(c->close_code >> 8);
      h[3] = static_cast<unsigned char>(c->close_code);
      n = 4;
    }
    w.append(reinterpret_cast<const char*>(h), n);
  }
  if (w.size() > seg) bufs.emplace_back(w.data() + seg, w.size() - seg);
  if (c->probe == 1) c->probe = 2;
  c->writing = true;
  asio::async_write(c->sock, bufs,
                    [self = shared_from_this(), c](boost::system::error_code ec, std::size_t) {
                      self->on_ws_written(c, !ec);
                    });
}

bool Session::ws_write_direct(const std::shared_ptr<WsConn>& c, bool data) {
  // The common case, a few frames and room in the socket buffer: one non-blocking writev from
  // the queued frames themselves, no copy, no allocation, no completion handler.
  std::array<asio::const_buffer, 2 * kDirectFrames + 1> bufs;
  unsigned char headers[kDirectFrames][ws::kMaxHeader];
  std::size_t nb = 0, total = 0;
  if (c->has_ctrl()) bufs[nb++] = asio::buffer(c->out_->ctrl);
  const std::size_t frames = data ? queue_.size() : 0;
  for (std::size_t i = 0; i < frames; ++i) {
    const Frame& f = queue_[i];
    auto bytes = f.wire();
    std::size_t hn = ws::encode_header(
        headers[i], f.is_binary() ? ws::Opcode::binary : ws::Opcode::text, bytes.size());
    bufs[nb++] = asio::buffer(headers[i], hn);
    if (!bytes.empty()) bufs[nb++] = asio::buffer(bytes.data(), bytes.size());
  }
  for (std::size_t i = 0; i < nb; ++i) total += bufs[i].size();
  boost::system::error_code ec;
  if (!c->sock.non_blocking()) c->sock.non_blocking(true, ec);
  std::size_t n = c->sock.write_some(std::span<const asio::const_buffer>(bufs.data(), nb), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return false;  // async
  if (c->probe == 1) c->probe = 2;
  c->writing = true;
  if (ec || n == total) {
    if (data) {
      release_queue();
    }
    if (c->out_) c->out_->ctrl = std::string();
    on_ws_written(c, !ec);
    return true;
  }
  // Partial write: the rest is copied out and written asynchronously.
  std::string rest;
  rest.reserve(total - n);
  for (std::size_t i = 0; i < nb; ++i) {
    auto b = bufs[i];
    std::size_t skip = std::min(n, b.size());
    n -= skip;
    rest.append(static_cast<const char*>(b.data()) + skip, b.size() - skip);
  }
  if (data) {
    release_queue();
  }
  auto& o = c->out();
  o.ctrl = std::string();
  o.wbuf = std::move(rest);
  asio::async_write(c->sock, asio::buffer(o.wbuf),
                    [self = shared_from_this(), c](boost::system::error_code e, std::size_t) {
                      self->on_ws_written(c, !e);
                    });
  return true;
}

void Session::on_ws_written(const std::shared_ptr<WsConn>& c, bool ok) {
  c->writing = false;
  if (c->out_) {
    // Control frames queued during the write stay for the next one.
    if (c->out_->ctrl.empty())
      c->out_.reset();
    else {
      std::vector<Frame>().swap(c->out_->inflight);
      std::string().swap(c->out_->wbuf);
    }
  }
  if (!ok) {
    ws_kill(*c);
    on_ws_error(c, false);
    return;
  }
  if (c->close_queued) c->close_sent = true;
  if (c->probe == 2) {
    c->probe = 0;
    if (c == candidate_ && upgrade_ == Upgrade::probing) probe_answered(c);
  }
  if (c->close_sent) {
    // Our close frame is out: done if the peer's close came (or we are failing the connection);
    // otherwise the reader waits for the peer's close.
    if (c->peer_closed || c->kill_after_close) ws_kill(*c);
    return;
  }
  if (c == ws_)
    ws_write_next();
  else
    ws_write(c);
}

void Session::ws_read(const std::shared_ptr<WsConn>& c) {
  if (c->dead) return;
  // Idle connections keep this wait pending for long. (Asio's small-block recycling is off for
  // this reason: see src/base/CMakeLists.txt.)
  c->sock.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this(), c](boost::system::error_code ec) {
                       self->on_ws_readable(c, ec);
                     });
}

void Session::on_ws_readable(const std::shared_ptr<WsConn>& c, boost::system::error_code ec) {
  if (c->dead) {
    on_ws_error(c, false);
    return;
  }
  if (ec) {
    ws_kill(*c);
    on_ws_error(c, false);
    return;
  }
  thread_local std::unique_ptr<char[]> buf(new char[kReadBuffer]);
  boost::system::error_code rec;
  if (!c->sock.non_blocking()) c->sock.non_blocking(true, rec);
  std::size_t n = c->sock.read_some(asio::buffer(buf.get(), kReadBuffer), rec);
  if (rec == asio::error::would_block || rec == asio::error::try_again) {
    ws_read(c);
    return;
  }
  if (rec) {
    bool clean = rec == asio::error::eof || rec == asio::error::connection_reset;
    ws_kill(*c);
    on_ws_error(c, clean);
    return;
  }
  bool go = c->reader.feed(buf.get(), n, [&](ws::Event&& ev) { return on_ws_event(c, ev); });
  if (go && !c->dead) ws_read(c);
}

bool Session::on_ws_event(const std::shared_ptr<WsConn>& c, ws::Event& ev) {
  switch (ev.kind) {
    case ws::Event::message:
      if (c->closing) return true;  // data after our close frame is discarded
      on_ws_message(c, Message{std::move(ev.data), ev.binary});
      return !c->dead;
    case ws::Event::ping:
      if (!c->closing) {
        c->out().ctrl += ws::encode_frame(ws::Opcode::pong, ev.data);
        ws_write(c);
      }
      return true;
    case ws::Event::pong: return true;
    case ws::Event::close:
      c->peer_closed = true;
      if (c->close_sent) {
        ws_kill(*c);
      } else {
        // Echo the peer's code, then close the TCP connection.
        if (!c->closing) {
          c->closing = true;
          c->close_code = ev.code;
        }
        c->kill_after_close = true;
        ws_write(c);
      }
      on_ws_error(c, true);
      return false;
    case ws::Event::error:
      // Fail the connection: close frame with the reason, then close.
      if (!c->closing) {
        c->closing = true;
        c->close_code = ev.code;
      }
      c->kill_after_close = true;
      if (c->close_sent) ws_kill(*c);
      else ws_write(c);
      on_ws_error(c, false);
      return false;
  }
  return false;
}

void Session::ws_kill(WsConn& c) {
  if (c.dead) return;
  c.dead = true;
  c.closing = true;
  boost::system::error_code ec;
  c.sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  c.sock.close(ec);
  c.upgrade_timer.reset();
}

void Session::ws_close(const std::shared_ptr<WsConn>& c, bool hard) {
  if (hard) {
    ws_kill(*c);
    return;
  }
  if (c->closing) return;
  // [ref] the server closes without a status code (clients see 1005).
  c->closing = true;
  c->close_code = kCloseNoCode;
  ws_write(c);
}

void Session::on_ws_message(const std::shared_ptr<WsConn>& c, Message m) {
  if (c == candidate_ && c) {
    // The upgrade handshake: "2probe" → "3probe", then "5". Anything else drops the candidate.
    bool ok = false;
    if (!m.binary && upgrade_ == Upgrade::probing && c->probe == 0 && m.data == "2probe") {
      c->out().ctrl += ws::encode_frame(ws::Opcode::text, "3probe");
      c->probe = 1;
      ws_write(c);
      ok = true;
    } else if (!m.binary && upgrade_ == Upgrade::upgrading && m.data == "5") {
      c->upgrade_timer.reset();
      ok = complete_upgrade(c);
    }
    if (!ok) drop_candidate(c);
    return;
  }
  if (c != ws_ || phase_ != Phase::open) return;
  if (m.binary) {
    on_packet(Packet{PacketType::message, std::move(m.data), true});
    return;
  }
  if (m.data.empty() || m.data.front() < '0' || m.data.front() > '6') {
    end(CloseReason::parse_error, false);
    return;
  }
  auto type = static_cast<PacketType>(m.data.front() - '0');
  m.data.erase(0, 1);
  on_packet(Packet{type, std::move(m.data), false});
}

void Session::on_ws_error(const std::shared_ptr<WsConn>& c, bool clean) {
  if (c == candidate_) {
    drop_candidate(c);
    return;
  }
  if (c != ws_) return;
  if (phase_ == Phase::open) {
    end(clean ? CloseReason::transport_close : CloseReason::transport_error, false);
  }
  ws_.reset();
}

bool Session::begin_probe(const std::shared_ptr<WsConn>& c) {
  if (phase_ != Phase::open || transport() != Transport::polling || candidate_ ||
      upgrade_ != Upgrade::none)
    return false;
  candidate_ = c;
  upgrade_ = Upgrade::probing;
  return true;
}

void Session::probe_answered(const std::shared_ptr<WsConn>& c) {
  if (c != candidate_) return;
  upgrade_ = Upgrade::upgrading;
  // Release a held GET so the client can pause polling and send "5".
  if (poll_) answer_poll(PollAnswer{200, "6"});
}

bool Session::complete_upgrade(const std::shared_ptr<WsConn>& c) {
  if (c != candidate_ || phase_ != Phase::open) return false;
  candidate_.reset();
  ws_ = c;
  upgrade_ = Upgrade::done;
  transport_.store(Transport::websocket, std::memory_order_relaxed);
  if (poll_) answer_poll(PollAnswer{400, {}, int(ErrorCode::bad_request)});
  flush();
  return true;
}

void Session::drop_candidate(const std::shared_ptr<WsConn>& c) {
  if (candidate_ == c) {
    candidate_.reset();
    upgrade_ = Upgrade::none;
  }
  ws_close(c, true);
}

// ---- heartbeat ----

void Session::set_deadline(std::chrono::milliseconds delay) {
  deadline_generation_ = wheel_.schedule(deadline_, delay);
}

void Session::on_deadline(std::uint32_t generation) {
  if (generation != deadline_generation_) return;  // rescheduled or cancelled since
  if (phase_ == Phase::draining) {
    finish();  // the polling client never collected its close packet
    return;
  }
  on_ping_timer();
}

void Session::schedule_ping() { set_deadline(server_->options().ping_interval); }

void Session::on_ping_timer() {
  if (phase_ != Phase::open) return;
  if (awaiting_pong_) {
    end(CloseReason::ping_timeout, false);
    return;
  }
  // The timeout runs from when the ping is queued, even if no GET is there to carry it.
  awaiting_pong_ = true;
  set_deadline(server_->options().ping_timeout);
  enqueue(ping_frame());
}

}  // namespace engineio
