#pragma once
// The interface the layer above Engine.IO (Socket.IO) implements. Engine.IO never names it.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace engineio {

class Session;
using SessionPtr = std::shared_ptr<Session>;

enum class Transport : unsigned char { polling, websocket };

// Why a session ended. to_string() gives the reference server's wording.
enum class CloseReason : unsigned char {
  transport_close,  // the client closed (close packet, TCP close, aborted poll)
  transport_error,  // I/O error, oversized WS message, protocol misuse (duplicate poll)
  ping_timeout,     // no pong within ping_timeout
  parse_error,      // undecodable packet
  forced_close,     // Session::close()
  server_shutdown,  // http::Handler::shutdown()
  slow_consumer,    // the outbound queue exceeded Options::max_queued_*
};
std::string_view to_string(CloseReason r);

// What the client sent in its handshake request. Immutable after the session opens.
struct HandshakeInfo {
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in request order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case (Options filter)
  std::string remote_address;
  unsigned short remote_port = 0;
  std::string url;  // request target of the handshake
  Transport transport = Transport::polling;  // transport of the handshake request

  // First value of query parameter / header `name` (header names compared case-insensitively),
  // or nullptr.
  const std::string* query_param(std::string_view name) const;
  const std::string* header(std::string_view name) const;
};

// An inbound Engine.IO message.
struct Message {
  std::string data;
  bool binary = false;
};

// Callbacks run on the session's strand (Session::executor()), one at a time per session, in
// wire order. They must not block. on_close is called exactly once per opened session, after
// which no other callback comes for that session.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_open(const SessionPtr& session, const HandshakeInfo& handshake) = 0;
  virtual void on_message(const SessionPtr& session, Message message) = 0;
  virtual void on_close(const SessionPtr& session, CloseReason reason) = 0;
};

}  // namespace engineio
