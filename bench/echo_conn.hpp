#pragma once
// natter-echo's per-connection logic without I/O: bytes read from a client go in (parsed by
// engineio's RFC 6455 codec), the frames to send back come out as one gathered write. Every
// text/binary message is echoed with its opcode (or, in relay mode, handed to the server for the
// other members of the connection's group), a ping gets a pong, a close gets a close (the peer's
// code echoed), a protocol error gets a close with the codec's code.
#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/ws_codec.hpp"

namespace natter_echo {

namespace ws = engineio::ws;

// Close code sent when the server shuts down.
inline constexpr std::uint16_t kCloseGoingAway = 1001;

// A complete server frame (header and payload), encoded once and written from these bytes to
// every connection it goes to.
using SharedFrame = std::shared_ptr<const std::string>;
SharedFrame make_frame(ws::Opcode op, std::string_view payload);

class EchoConn {
 public:
  // relay = false: messages are echoed. relay = true: nothing is echoed; each message is encoded
  // once as a server frame and collected in relayed() for the server to send to others.
  explicit EchoConn(std::size_t max_message, bool relay = false)
      : reader_(max_message), relay_(relay) {}

  // Queues bytes that go out as they are, before any frame queued later (the 101 response).
  void queue_raw(std::string_view bytes);
  // Consumes `n` bytes read from the client (unmasked in place) and queues the replies. Returns
  // false once the peer's close or a protocol error arrived: do not read (or feed) again.
  bool feed(char* data, std::size_t n);
  // Relay mode: the messages fed since the caller last cleared this, as server frames.
  std::vector<SharedFrame>& relayed() { return relayed_; }
  // Queues a frame shared with other connections; it is written from its own bytes (no copy).
  // Ignored once closing.
  void send(SharedFrame frame);
  // Queues a close frame with `code` (server-initiated close); no data frames after it.
  void close(std::uint16_t code);

  // Moves everything queued into the write in flight and describes it in `bufs` (headers and
  // small payloads from one contiguous buffer, large payloads and shared frames by reference).
  // False when nothing is queued or a write is already in flight. The buffers stay valid until
  // written().
  bool take_output(std::vector<boost::asio::const_buffer>& bufs);
  // The write in flight completed; its buffers are released.
  void written();

  bool writing() const { return writing_; }
  // Bytes queued or in flight (read back-pressure; how far a group member is behind).
  std::size_t pending_bytes() const { return queued_ + inflight_; }
  // No more reads: the peer closed, a protocol error occurred, or our close frame is queued.
  bool closing() const { return closing_ || stopped_; }
  // Our close frame has been written: the TCP connection can be closed.
  bool done() const { return close_written_; }

 private:
  // Bytes written by reference: a large payload (its header is in the contiguous buffer) or a
  // whole shared frame.
  struct Ref {
    std::size_t at;  // position in the contiguous buffer where these bytes go
    SharedFrame data;
  };
  bool on_event(ws::Event& ev);
  void queue(ws::Opcode op, std::string&& payload);

  ws::Reader reader_;
  bool relay_;
  std::vector<SharedFrame> relayed_;
  std::string out_;         // queued: raw bytes, headers, small payloads, control frames
  std::vector<Ref> refs_;   // queued: bytes by reference
  std::string wout_;        // in flight
  std::vector<Ref> wrefs_;
  std::size_t queued_ = 0, inflight_ = 0;
  bool writing_ = false;
  bool stopped_ = false;        // the reader stopped (close or error event)
  bool closing_ = false;        // our close frame is queued
  bool close_in_flight_ = false;
  bool close_written_ = false;
};

}  // namespace natter_echo
