// Conformance fixture for the official Engine.IO v4 / Socket.IO v5 test suites
// (socketio/socket.io docs/engine.io-protocol/v4-test-suite, docs/socket.io-protocol/v5-test-suite)
// and for natter's e2e tests with real clients.
//
// Usage: conformance_server [--port 3000] [--host 127.0.0.1] [--threads 2]
//                           [--connect-timeout-ms 1000] [--ping-interval-ms 300]
//                           [--ping-timeout-ms 200] [--log info]
// Prints "listening on <host>:<port>" once ready. SIGINT/SIGTERM shut down gracefully.
//
// Settings (what the suites expect): pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000,
// CORS "*", upgrade timeout 10 s, Socket.IO connect timeout 1000 ms.
//
// /engine.io/   raw Engine.IO: every message is echoed as it came (text as text, binary as binary).
//
// /socket.io/   Socket.IO. Unknown namespaces get CONNECT_ERROR "Invalid namespace".
//   namespace "/":
//     on connect           emits "auth" with the CONNECT payload ({} when none)
//     "message" ...args    emits "message-back" with the same args (binary included)
//     "message-with-ack"   acks with the same args
//     "join" room          joins `room`; acks (if asked) with the socket's rooms
//     "leave" room         leaves `room`; acks (if asked) with the socket's rooms
//     "rooms"              acks with the socket's rooms (its id first)
//     "to-room" room ...a  every socket in `room` (sender included if a member) gets
//                          "room-message" with ...a
//     "to-room-except-me" room ...a   same, excluding the sender (socket.to(room))
//     "to-room-except" room other ...a   sockets in `room` but not in `other`
//     "broadcast" ...a     every other socket of "/" gets "broadcast-message" with ...a
//     "ask" ...a           emits "question" ...a with an ack (timeout 5 s); the client's ack
//                          args come back as "answer" ...acked, or "answer-timeout" on timeout
//     "binary"             emits "binary" with [<01 02 03>, {"nested": <04 05 06>}]
//     "disconnect-me" [close]   server-side disconnect; close=true also closes the transport
//     "handshake"          acks with {"query": {...}, "headers": {...}, "address": "..."}
//   namespace "/custom":   emits "auth" on connect; "message" → "message-back"
//   namespace "/private":  async middleware: CONNECT needs auth {"token":"secret"}, otherwise
//                          CONNECT_ERROR {"message":"unauthorized","data":{"reason":"bad token"}};
//                          on connect emits "welcome" with the socket id
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "engineio/server.hpp"
#include "http/server.hpp"
#include "socketio/server.hpp"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using socketio::AckFn;
using socketio::Payload;
using socketio::SocketPtr;

// Raw Engine.IO echo.
class Echo : public engineio::Handler {
 public:
  void on_open(const engineio::SessionPtr&, const engineio::HandshakeInfo&) override {}
  void on_message(const engineio::SessionPtr& s, engineio::Message m) override {
    s->send(m.binary ? engineio::Frame::binary(std::move(m.data)) : engineio::Frame::text(m.data));
  }
  void on_close(const engineio::SessionPtr&, engineio::CloseReason) override {}
};

json::array rooms_json(const SocketPtr& s) {
  json::array a;
  for (auto& r : s->rooms()) a.emplace_back(r);
  return a;
}

// Drops the first `n` args (and keeps the attachments, which placeholders still reference).
Payload drop_front(Payload p, std::size_t n) {
  n = std::min(n, p.args.size());
  p.args.erase(p.args.begin(), p.args.begin() + static_cast<std::ptrdiff_t>(n));
  return p;
}

std::string arg_string(const Payload& p, std::size_t i) {
  if (i < p.args.size() && p.args[i].is_string()) return std::string(p.args[i].get_string());
  return {};
}

void setup_main(socketio::Namespace& ns) {
  ns.on_connection([](const SocketPtr& s) { s->emit("auth", json::array{s->auth()}); });
  ns.on("message", [](const SocketPtr& s, Payload p, AckFn) { s->emit("message-back", p); });
  ns.on("message-with-ack", [](const SocketPtr&, Payload p, AckFn ack) {
    if (ack) ack(std::move(p));
  });
  ns.on("join", [](const SocketPtr& s, Payload p, AckFn ack) {
    s->join(arg_string(p, 0));
    if (ack) ack(json::array{rooms_json(s)});
  });
  ns.on("leave", [](const SocketPtr& s, Payload p, AckFn ack) {
    s->leave(arg_string(p, 0));
    if (ack) ack(json::array{rooms_json(s)});
  });
  ns.on("rooms", [](const SocketPtr& s, Payload, AckFn ack) {
    if (ack) ack(json::array{rooms_json(s)});
  });
  ns.on("to-room", [&ns](const SocketPtr&, Payload p, AckFn ack) {
    auto room = arg_string(p, 0);
    ns.to(room).emit("room-message", drop_front(std::move(p), 1));
    if (ack) ack({});
  });
  ns.on("to-room-except-me", [](const SocketPtr& s, Payload p, AckFn ack) {
    auto room = arg_string(p, 0);
    s->to(room).emit("room-message", drop_front(std::move(p), 1));
    if (ack) ack({});
  });
  ns.on("to-room-except", [&ns](const SocketPtr&, Payload p, AckFn ack) {
    auto room = arg_string(p, 0);
    auto other = arg_string(p, 1);
    ns.to(room).except(other).emit("room-message", drop_front(std::move(p), 2));
    if (ack) ack({});
  });
  ns.on("broadcast", [](const SocketPtr& s, Payload p, AckFn ack) {
    s->broadcast().emit("broadcast-message", p);
    if (ack) ack({});
  });
  ns.on("ask", [](const SocketPtr& s, Payload p, AckFn) {
    s->emit_with_ack("question", std::move(p), std::chrono::seconds(5),
                     [w = std::weak_ptr(s)](std::optional<Payload> answer) {
                       auto self = w.lock();
                       if (!self) return;
                       if (answer)
                         self->emit("answer", *answer);
                       else
                         self->emit("answer-timeout");
                     });
  });
  ns.on("binary", [](const SocketPtr& s, Payload, AckFn) {
    Payload out;
    auto first = out.add_binary(std::string("\x01\x02\x03", 3));
    auto second = out.add_binary(std::string("\x04\x05\x06", 3));
    out.args.push_back(first);
    out.args.push_back(json::object{{"nested", second}});
    s->emit("binary", out);
  });
  ns.on("disconnect-me", [](const SocketPtr& s, Payload p, AckFn) {
    bool close = !p.args.empty() && p.args[0].is_bool() && p.args[0].get_bool();
    s->disconnect(close);
  });
  ns.on("handshake", [](const SocketPtr& s, Payload, AckFn ack) {
    if (!ack) return;
    const auto& hs = s->handshake();
    json::object query, headers;
    for (auto& [k, v] : hs.query) query[k] = v;
    for (auto& [k, v] : hs.headers) headers[k] = v;
    ack(json::array{json::object{
        {"query", query}, {"headers", headers}, {"address", hs.remote_address}}});
  });
}

void setup_private(socketio::Namespace& ns) {
  // Asynchronous middleware: decides after a short timer, on another handler.
  ns.use([](const SocketPtr& s, socketio::Next next) {
    auto t = std::make_shared<asio::steady_timer>(s->executor(), std::chrono::milliseconds(5));
    t->async_wait([t, s, next = std::move(next)](boost::system::error_code) {
      const auto* token = s->auth().if_contains("token");
      if (token && token->is_string() && token->get_string() == "secret") {
        next(std::nullopt);
      } else {
        next(socketio::ConnectError{"unauthorized", json::object{{"reason", "bad token"}}});
      }
    });
  });
  ns.on_connection([](const SocketPtr& s) { s->emit("welcome", json::array{s->id()}); });
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned port = 3000;
  unsigned threads = 2;
  long connect_timeout_ms = 1000;
  long ping_interval_ms = 300;
  long ping_timeout_ms = 200;
  std::string log_level = "info";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port")
      port = static_cast<unsigned>(std::stoul(value()));
    else if (a == "--host")
      host = value();
    else if (a == "--threads")
      threads = std::max(1u, static_cast<unsigned>(std::stoul(value())));
    else if (a == "--connect-timeout-ms")
      connect_timeout_ms = std::stol(value());
    else if (a == "--ping-interval-ms")
      ping_interval_ms = std::stol(value());
    else if (a == "--ping-timeout-ms")
      ping_timeout_ms = std::stol(value());
    else if (a == "--log")
      log_level = value();
    else {
      std::cerr << "usage: conformance_server [--port N] [--host H] [--threads N] "
                   "[--connect-timeout-ms N] [--ping-interval-ms N] [--ping-timeout-ms N] "
                   "[--log LEVEL]\n";
      return 2;
    }
  }
  base::init_logging(log_level);

  asio::io_context ioc(static_cast<int>(threads));

  engineio::Options eio;
  eio.ping_interval = std::chrono::milliseconds(ping_interval_ms);
  eio.ping_timeout = std::chrono::milliseconds(ping_timeout_ms);
  eio.max_payload = 1000000;
  eio.cors_origins = {"*"};

  engineio::Options raw = eio;
  raw.path = "/engine.io/";
  auto echo = engineio::Server::create(ioc, raw, std::make_shared<Echo>());

  socketio::ServerOptions sio;
  sio.engine = eio;
  sio.engine.path = "/socket.io/";
  sio.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  auto io = socketio::Server::create(ioc, sio);
  setup_main(io->of("/"));
  {
    auto& custom = io->of("/custom");
    custom.on_connection([](const SocketPtr& s) { s->emit("auth", json::array{s->auth()}); });
    custom.on("message", [](const SocketPtr& s, Payload p, AckFn) { s->emit("message-back", p); });
  }
  setup_private(io->of("/private"));

  http::ServerOptions hopts;
  hopts.host = host;
  hopts.port = static_cast<unsigned short>(port);
  http::Server server(ioc, hopts);
  server.mount(raw.path, echo);
  server.mount(sio.engine.path, io->http_handler());
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "cannot listen on " << host << ":" << port << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << "listening on " << host << ":" << server.port() << std::endl;

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer hard_stop(ioc);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    spdlog::info("shutting down");
    server.stop();  // tells both engines (server shutting down)
    hard_stop.expires_after(std::chrono::seconds(2));
    hard_stop.async_wait([&](boost::system::error_code) { ioc.stop(); });
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
