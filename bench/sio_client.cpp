#include "sio_client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <netinet/in.h>

#include <deque>

#include "sio_codec.hpp"

namespace nb {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

struct SioClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& ioc, const Target& t, std::string tok, SioHandler* h, std::uint64_t tg,
       unsigned src)
      : ws(ioc), target(t), token(std::move(tok)), handler(h), tag(tg), source_index(src) {}

  websocket::stream<beast::tcp_stream> ws;
  const Target& target;
  std::string token;
  SioHandler* handler;
  std::uint64_t tag;
  unsigned source_index;
  beast::flat_buffer rbuf;
  std::deque<std::string> wq;
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

  void send(std::string frame) {
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
    ws.async_write(asio::buffer(wq.front()),
                   [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                     self->wq.pop_front();
                     ++self->frames_out;
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
    ws.async_close(websocket::close_code::normal,
                   [self = shared_from_this()](boost::system::error_code) {});
  }

  // Handles EIO-level frames common to both phases. Returns the decoded frame.
  sio::Frame on_frame(std::string_view text) {
    ++frames_in;
    sio::Frame f = sio::decode(text);
    if (f.kind == sio::Kind::eio_ping) send(std::string(sio::kPong));
    return f;
  }

  awaitable<ConnectResult> connect(double timeout_s) {
    auto self = shared_from_this();
    ConnectResult r;
    r.start_ns = now_ns();
    auto& tcps = beast::get_lowest_layer(ws);
    auto& sock = tcps.socket();
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
    tcps.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(timeout_s * 1e9)));
    std::tie(ec) = co_await tcps.async_connect(target.endpoint, base::as_result);
    if (ec) {
      r.error = "connect: " + ec.message();
      co_return r;
    }
    sock.set_option(tcp::no_delay(true), ec);
    tcps.expires_never();
    websocket::stream_base::timeout to{};
    to.handshake_timeout = std::chrono::nanoseconds(static_cast<std::int64_t>(timeout_s * 1e9));
    to.idle_timeout = websocket::stream_base::none();
    to.keep_alive_pings = false;
    ws.set_option(to);
    ws.secure_prng(false);
    ws.auto_fragment(false);
    ws.read_message_max(64 * 1024 * 1024);
    std::string path = raw ? target.sio_path : target.sio_path + "?EIO=4&transport=websocket";
    std::tie(ec) = co_await ws.async_handshake(target.host_header, path, base::as_result);
    if (ec) {
      r.error = "websocket handshake: " + ec.message();
      co_return r;
    }
    ws.text(true);
    open = true;
    if (raw && probe.empty()) {
      r.ok = true;
      r.connected_ns = now_ns();
      co_return r;
    }
    // Raw: the probe's echo; otherwise Engine.IO open, then Socket.IO CONNECT with the token,
    // until the ack. The whole phase is bounded by a timer that closes the socket.
    asio::steady_timer guard(ws.get_executor());
    guard.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(timeout_s * 1e9)));
    bool timed_out = false;
    guard.async_wait([self, &timed_out](boost::system::error_code e) {
      if (e) return;
      timed_out = true;
      boost::system::error_code ignored;
      beast::get_lowest_layer(self->ws).socket().close(ignored);
    });
    if (raw) send(probe);
    for (;;) {
      std::size_t n;
      std::tie(ec, n) = co_await ws.async_read(rbuf, base::as_result);
      if (ec) {
        r.error = timed_out ? "handshake timeout" : "read: " + ec.message();
        open = false;
        break;
      }
      std::string_view text(static_cast<const char*>(rbuf.cdata().data()), rbuf.size());
      if (raw) {
        ++frames_in;
        if (text == probe) {
          r.ok = true;
          r.connected_ns = now_ns();
        } else {
          r.error = "the probe came back changed";
        }
        rbuf.consume(rbuf.size());
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
      rbuf.consume(rbuf.size());
      if (r.ok || !r.error.empty()) break;
    }
    guard.cancel();
    if (!r.ok && open) abort();
    co_return r;
  }

  awaitable<void> read_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, n] = co_await ws.async_read(rbuf, base::as_result);
      if (ec) {
        report_closed(ec == websocket::error::closed ? "closed" : ec.message());
        co_return;
      }
      std::string_view text(static_cast<const char*>(rbuf.cdata().data()), rbuf.size());
      if (raw) {
        ++frames_in;
        if (handler && owner) handler->on_event(*owner, {}, text);
        rbuf.consume(rbuf.size());
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
          rbuf.consume(rbuf.size());
          co_return;
        default:
          break;
      }
      rbuf.consume(rbuf.size());
    }
  }

  void abort() {
    open = false;
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
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
  asio::co_spawn(impl_->ws.get_executor(), impl_->read_loop(), asio::detached);
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
