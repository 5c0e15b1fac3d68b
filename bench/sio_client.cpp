#include "sio_client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "sio_codec.hpp"

namespace nb {


// The client half of RFC 6455 written directly on the TCP socket: the opening handshake, masked
// frames out (every queued frame in one gathered write), unmasked frames in, parsed from one
// buffer filled by read_some (many frames per read under load). A Beast websocket stream cost the
// generator a coroutine resumption and a UTF-8 check per message, which made the generator,
// not the servers, the bottleneck of the fan-out scenarios.
struct SioClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& ioc, const Target& t, std::string tok, SioHandler* h, std::uint64_t tg,
       unsigned src)
      : sock(ioc), target(t), token(std::move(tok)), handler(h), tag(tg), source_index(src),
        mask_state(0x9E3779B97F4A7C15ULL ^ (tg * 0xBF58476D1CE4E5B9ULL) ^ reinterpret_cast<std::uintptr_t>(this)) {}

  tcp::socket sock;
  const Target& target;
  std::string token;
  SioHandler* handler;
  std::uint64_t tag;
  unsigned source_index;
  std::string rbuf;        // [rpos, rend): received bytes not parsed yet
  std::size_t rpos = 0, rend = 0;
  std::string message;     // a fragmented message so far
  std::deque<std::string> wq;   // encoded (masked) frames
  std::size_t in_flight = 0;    // frames of wq in the write in flight
  std::vector<asio::const_buffer> wbufs;
  std::uint64_t mask_state;
  bool writing = false;
  bool close_requested = false;
  bool open = false;
  bool closed_reported = false;
  bool raw = false;
  std::string probe;  // raw: sent after the upgrade; connect completes when it is echoed
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;

  void report_closed(std::string_view why) {
    open = false;
    if (closed_reported) return;
    closed_reported = true;
    if (handler && owner) handler->on_closed(*owner, why);
  }
  SioClient* owner = nullptr;  // back pointer for the handler callbacks; null once destroyed

  // A masked client frame (RFC 6455 §5.3). The masking keys come from a xorshift generator: a
  // load generator needs no unpredictable keys.
  std::string encode(std::uint8_t opcode, std::string_view payload) {
    std::string f;
    f.reserve(payload.size() + 14);
    f.push_back(static_cast<char>(0x80 | opcode));
    const std::uint64_t n = payload.size();
    if (n < 126) {
      f.push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xFFFF) {
      f.push_back(static_cast<char>(0x80 | 126));
      f.push_back(static_cast<char>(n >> 8));
      f.push_back(static_cast<char>(n));
    } else {
      f.push_back(static_cast<char>(0x80 | 127));
      for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(n >> (8 * i)));
    }
    mask_state ^= mask_state << 13;
    mask_state ^= mask_state >> 7;
    mask_state ^= mask_state << 17;
    char key[4];
    std::memcpy(key, &mask_state, 4);
    f.append(key, 4);
    const std::size_t at = f.size();
    f.append(payload);
    for (std::size_t i = 0; i < n; ++i) f[at + i] = static_cast<char>(f[at + i] ^ key[i & 3]);
    return f;
  }

  void send(std::string text) { queue(encode(0x1, text)); }

  void queue(std::string frame) {
    wq.push_back(std::move(frame));
    if (!writing) write_next();
  }

  void write_next() {
    if (wq.empty()) {
      writing = false;
      if (close_requested) do_close();
      return;
    }
    writing = true;
    in_flight = wq.size();
    wbufs.clear();
    for (auto& f : wq) wbufs.emplace_back(asio::buffer(f));
    asio::async_write(sock, wbufs, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      for (; self->in_flight > 0; --self->in_flight) {
        self->wq.pop_front();
        ++self->frames_out;
      }
      if (ec) {
        self->writing = false;
        self->wq.clear();
        return;
      }
      self->write_next();
    });
  }

  void do_close() {
    if (!open) return;
    open = false;
    const char normal[2] = {static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xFF)};
    queue(encode(0x8, std::string_view(normal, 2)));
  }

  // Reads more bytes into rbuf after rend, first moving the unparsed bytes to the front; the
  // buffer doubles when they fill it (it starts small: idle scenarios hold thousands of clients).
  awaitable<boost::system::error_code> fill() {
    if (rpos > 0) {
      std::memmove(rbuf.data(), rbuf.data() + rpos, rend - rpos);
      rend -= rpos;
      rpos = 0;
    }
    if (rend == rbuf.size()) rbuf.resize(std::max<std::size_t>(4096, 2 * rbuf.size()));
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(rbuf.data() + rend, rbuf.size() - rend),
                                                 base::as_result);
    rend += n;
    co_return ec;
  }

  enum class Got { nothing, message, closed, error };
  // Parses the next frame from rbuf: a complete text/binary message in `out`, a close, or nothing
  // (more bytes needed; pings are answered and pongs skipped on the way).
  Got next_message(std::string_view& out) {
    for (;;) {
      const std::size_t avail = rend - rpos;
      const auto* p = reinterpret_cast<const unsigned char*>(rbuf.data() + rpos);
      if (avail < 2) return Got::nothing;
      const bool fin = p[0] & 0x80;
      const std::uint8_t op = p[0] & 0x0F;
      const bool masked = p[1] & 0x80;
      std::uint64_t len = p[1] & 0x7F;
      std::size_t h = 2;
      if (len == 126) {
        if (avail < 4) return Got::nothing;
        len = std::uint64_t{p[2]} << 8 | p[3];
        h = 4;
      } else if (len == 127) {
        if (avail < 10) return Got::nothing;
        len = 0;
        for (int i = 0; i < 8; ++i) len = len << 8 | p[2 + i];
        h = 10;
      }
      if (len > (std::uint64_t{1} << 30)) return Got::error;
      const std::size_t mask_at = h;
      if (masked) h += 4;
      if (avail < h + len) return Got::nothing;
      char* payload = rbuf.data() + rpos + h;
      if (masked)  // servers must not mask; tolerated
        for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(payload[i] ^ p[mask_at + (i & 3)]);
      rpos += h + len;
      std::string_view data(payload, len);
      switch (op) {
        case 0x0:  // continuation
          message.append(data);
          if (!fin) continue;
          out = message;
          return Got::message;
        case 0x1:
        case 0x2:
          if (fin) {
            out = data;
            return Got::message;
          }
          message.assign(data);
          continue;
        case 0x8:
          return Got::closed;
        case 0x9:
          queue(encode(0xA, data));
          continue;
        case 0xA:
          continue;
        default:
          return Got::error;
      }
    }
  }

  // Handles EIO-level frames common to both phases. Returns the decoded frame.
  sio::Frame on_frame(std::string_view text) {
    ++frames_in;
    sio::Frame f = sio::decode(text);
    if (f.kind == sio::Kind::eio_ping) send(std::string(sio::kPong));
    return f;
  }

  // The HTTP upgrade: request, then the response head (bytes after it stay in rbuf).
  awaitable<std::string> upgrade() {
    std::string path = raw ? target.sio_path : target.sio_path + "?EIO=4&transport=websocket";
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + target.host_header +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(req), base::as_result);
    if (wec) co_return "write: " + wec.message();
    for (;;) {
      const std::string_view got(rbuf.data(), rend);
      if (auto end = got.find("\r\n\r\n"); end != std::string_view::npos) {
        std::string_view head = got.substr(0, end);
        // "HTTP/1.1 101 Switching Protocols", and the accept key of the fixed request key.
        if (head.substr(0, 13) != "HTTP/1.1 101 ") co_return "upgrade refused: " + std::string(head.substr(0, head.find('\r')));
        if (head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == std::string_view::npos)
          co_return "upgrade: wrong Sec-WebSocket-Accept";
        rpos = end + 4;
        co_return std::string();
      }
      if (rend > 16 * 1024) co_return "upgrade: response head too large";
      if (auto ec = co_await fill()) co_return "read: " + ec.message();
    }
  }

  awaitable<ConnectResult> connect(double timeout_s) {
    auto self = shared_from_this();
    ConnectResult r;
    r.start_ns = now_ns();
    boost::system::error_code ec;
    if (target.source_addrs > 1 && target.endpoint.address().is_v4()) {
      sock.open(tcp::v4(), ec);
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      auto base = asio::ip::make_address_v4("127.0.0.1").to_uint();
      asio::ip::address_v4 src(base + (source_index % target.source_addrs));
      sock.bind(tcp::endpoint(src, 0), ec);
      if (ec) {
        r.error = "bind: " + ec.message();
        co_return r;
      }
    }
    // The whole connect is bounded by a timer that closes the socket.
    asio::steady_timer guard(sock.get_executor());
    guard.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(timeout_s * 1e9)));
    bool timed_out = false;
    guard.async_wait([self, &timed_out](boost::system::error_code e) {
      if (e) return;
      timed_out = true;
      boost::system::error_code ignored;
      self->sock.close(ignored);
    });
    auto fail = [&](std::string why) {
      r.error = timed_out ? "handshake timeout" : std::move(why);
      open = false;
    };
    std::tie(ec) = co_await sock.async_connect(target.endpoint, base::as_result);
    if (ec) {
      fail("connect: " + ec.message());
      guard.cancel();
      co_return r;
    }
    sock.set_option(tcp::no_delay(true), ec);
    if (auto err = co_await upgrade(); !err.empty()) {
      fail("websocket handshake: " + err);
      guard.cancel();
      abort();
      co_return r;
    }
    open = true;
    if (raw && probe.empty()) {
      guard.cancel();
      r.ok = true;
      r.connected_ns = now_ns();
      co_return r;
    }
    // Raw: the probe's echo; otherwise Engine.IO open, then Socket.IO CONNECT with the token,
    // until the ack.
    if (raw) send(probe);
    while (r.ok == false && r.error.empty()) {
      std::string_view text;
      const Got got = next_message(text);
      if (got == Got::nothing) {
        if (auto e = co_await fill()) {
          fail("read: " + e.message());
          break;
        }
        continue;
      }
      if (got != Got::message) {
        fail(got == Got::closed ? "closed by server during handshake" : "bad frame from server");
        break;
      }
      if (raw) {
        ++frames_in;
        if (text == probe) {
          r.ok = true;
          r.connected_ns = now_ns();
        } else {
          r.error = "the probe came back changed";
        }
        break;
      }
      sio::Frame f = on_frame(text);
      if (f.kind == sio::Kind::eio_open) {
        std::string auth = R"({"token":")" + token + R"("})";
        send(sio::encode_connect(auth));
      } else if (f.kind == sio::Kind::sio_connect && f.nsp == "/") {
        r.ok = true;
        r.connected_ns = now_ns();
      } else if (f.kind == sio::Kind::sio_connect_error) {
        r.error = "connect_error: " + std::string(f.json);
      } else if (f.kind == sio::Kind::eio_close || f.kind == sio::Kind::sio_disconnect) {
        r.error = "closed by server during handshake";
      } else if (f.kind == sio::Kind::sio_event && handler && owner) {
        // An event that raced the ack (e.g. presence): deliver it like any other.
        handler->on_event(*owner, f.event, f.data);
      }
    }
    guard.cancel();
    if (!r.ok && open) abort();
    co_return r;
  }

  awaitable<void> read_loop() {
    auto self = shared_from_this();
    for (;;) {
      std::string_view text;
      const Got got = next_message(text);
      if (got == Got::nothing) {
        if (auto ec = co_await fill()) {
          report_closed(ec == asio::error::eof ? "closed" : ec.message());
          co_return;
        }
        continue;
      }
      if (got != Got::message) {
        report_closed(got == Got::closed ? "closed" : "bad frame from server");
        abort();
        co_return;
      }
      if (raw) {
        ++frames_in;
        if (handler && owner) handler->on_event(*owner, {}, text);
        continue;
      }
      sio::Frame f = on_frame(text);
      switch (f.kind) {
        case sio::Kind::sio_event:
          if (handler && owner) handler->on_event(*owner, f.event, f.data);
          break;
        case sio::Kind::eio_close:
        case sio::Kind::sio_disconnect:
          report_closed("closed by server");
          abort();
          co_return;
        default:
          break;
      }
    }
  }

  void abort() {
    open = false;
    boost::system::error_code ignored;
    sock.close(ignored);
  }
};

SioClient::SioClient(asio::io_context& ioc, const Target& target, std::string token,
                     SioHandler* handler, std::uint64_t tag, unsigned source_index)
    : impl_(std::make_shared<Impl>(ioc, target, std::move(token), handler, tag, source_index)) {
  impl_->owner = this;
}

SioClient::~SioClient() {
  impl_->handler = nullptr;
  impl_->owner = nullptr;
  impl_->abort();
}

awaitable<ConnectResult> SioClient::connect(double timeout_s) { return impl_->connect(timeout_s); }

void SioClient::set_raw(bool raw, std::string probe) {
  impl_->raw = raw;
  impl_->probe = std::move(probe);
}

void SioClient::start_reading() {
  asio::co_spawn(impl_->sock.get_executor(), impl_->read_loop(), asio::detached);
}

void SioClient::emit(std::string_view event, std::string_view data) {
  impl_->send(sio::encode_event(event, data));
}

void SioClient::send_text(std::string frame) { impl_->send(std::move(frame)); }

void SioClient::close() {
  impl_->close_requested = true;
  if (!impl_->writing) impl_->do_close();
}

void SioClient::abort() { impl_->abort(); }
std::uint64_t SioClient::tag() const { return impl_->tag; }
bool SioClient::is_open() const { return impl_->open; }
std::uint64_t SioClient::frames_in() const { return impl_->frames_in; }
std::uint64_t SioClient::frames_out() const { return impl_->frames_out; }

}  // namespace nb
