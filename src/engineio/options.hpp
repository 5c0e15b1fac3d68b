#pragma once
// Engine.IO server configuration: a struct with in-class defaults. Tests shorten timers here.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace engineio {

struct HandshakeInfo;

struct Options {
  // Mount prefix, with the trailing slash. The engine does not route; the app mounts the server
  // on the http::Server at this prefix. Default: "/socket.io/".
  std::string path = "/socket.io/";
  // The server pings every ping_interval and closes the session if the pong does not come within
  // ping_timeout. Defaults: 25000 ms / 20000 ms.
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  // A polling→WebSocket upgrade must complete (client "5") within this time. Default: 10000 ms.
  std::chrono::milliseconds upgrade_timeout{10000};
  // Largest polling POST body / WebSocket message accepted, in bytes. Advertised in the
  // handshake. Larger POST → 413 (session stays); larger WS message → WS close 1009. Default 1e6.
  std::size_t max_payload = 1000000;
  // Origins allowed by CORS on polling responses. Empty: no CORS headers. {"*"}: any origin
  // ("Access-Control-Allow-Origin: *", or the request's Origin echoed when cors_credentials).
  std::vector<std::string> cors_origins;
  bool cors_credentials = false;
  bool allow_polling = true;
  bool allow_websocket = true;
  // Outbound queue bound per session. A session whose unsent frames exceed either limit is
  // closed with CloseReason::slow_consumer (memory stays bounded). Defaults: 4096 frames, 4 MiB.
  std::size_t max_queued_frames = 4096;
  std::size_t max_queued_bytes = 4 * 1024 * 1024;
  // Request headers copied into HandshakeInfo (lower-case names). Empty: keep every header.
  std::vector<std::string> handshake_headers = {"authorization", "origin", "user-agent", "cookie",
                                                "x-forwarded-for", "x-real-ip"};
  // Optional admission check on each new session (polling or WebSocket). Return an error
  // message to refuse with 403 {"code":4,"message":<msg>}; nullopt to accept. Runs on the HTTP
  // connection's strand; must not block.
  std::function<std::optional<std::string>(const HandshakeInfo&)> allow_request;
  // Executor for a new long-polling session (its requests arrive on many HTTP connections).
  // Must serialise handlers: a strand, or a single-threaded io_context. Unset: a new strand on
  // the server's io_context. (WebSocket sessions keep their connection's executor.)
  std::function<boost::asio::any_io_executor()> session_executor;
};

}  // namespace engineio
