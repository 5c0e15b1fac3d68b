#pragma once
// Client-side Engine.IO v4 / Socket.IO v5 framing for WebSocket text frames. Pure: no I/O.
//
//   "0{...}"               EIO open (server → client, first frame)
//   "2" / "3"              EIO ping (server) / pong (client answer)
//   "40{"token":"..."}"    SIO CONNECT to "/" with an auth object (client → server)
//   "40{"sid":"..."}"      SIO CONNECT ack;  "44{"message":...}" SIO CONNECT_ERROR
//   "42["name",{...}]"     SIO EVENT (either way); "42/nsp,17[...]" with namespace and ack id
#include <cstdint>
#include <string>
#include <string_view>

namespace nb::sio {

enum class Kind {
  invalid,
  eio_open,
  eio_close,
  eio_ping,
  eio_pong,
  eio_noop,
  eio_upgrade,
  sio_connect,
  sio_disconnect,
  sio_event,
  sio_ack,
  sio_connect_error,
  sio_binary,  // binary events/acks: not used by the chat API, reported as such
};

struct Frame {
  Kind kind = Kind::invalid;
  std::string_view nsp = "/";  // namespace of SIO packets
  std::int64_t ack_id = -1;    // -1 when absent
  std::string_view json;       // JSON text after the header (EIO open object, SIO payload)
  std::string_view event;      // sio_event: the event name (raw, as between the quotes)
  std::string_view data;       // sio_event: the JSON text of the arguments after the name
                               // (one argument for the chat API; empty when there is none)
};

// Decodes one WebSocket text frame. The views point into `text`.
Frame decode(std::string_view text);

// "40" + auth JSON (an object such as {"token":"..."}); auth may be empty.
std::string encode_connect(std::string_view auth_json);
// 42["name",data] with data an already-serialised JSON value (empty: no argument).
std::string encode_event(std::string_view name, std::string_view data_json);
// Appends the same to `out` (reuses its capacity).
void append_event(std::string& out, std::string_view name, std::string_view data_json);

inline constexpr std::string_view kPong = "3";

}  // namespace nb::sio
