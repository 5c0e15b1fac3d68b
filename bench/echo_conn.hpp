#pragma once
// natter-echo's per-connection logic without I/O: bytes read from a client go in (parsed by
// engineio's RFC 6455 codec), the frames to send back come out as one gathered write. Every
// text/binary message is echoed with its opcode, a ping gets a pong, a close gets a close (the
// peer's code echoed), a protocol error gets a close with the codec's code.
#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engineio/ws_codec.hpp"

namespace natter_echo {

namespace ws = engineio::ws;

// Close code sent when the server shuts down.
inline constexpr std::uint16_t kCloseGoingAway = 1001;

class EchoConn {
 public:
  explicit EchoConn(std::size_t max_message) : reader_(max_message) {}

  // Consumes `n` bytes read from the client (unmasked in place) and queues the replies. Returns
  // false once the peer's close or a protocol error arrived: do not read (or feed) again.
  bool feed(char* data, std::size_t n);
  // Queues a close frame with `code` (server-initiated close); no data frames after it.
  void close(std::uint16_t code);

  // Moves everything queued into the write in flight and describes it in `bufs` (headers and
  // small payloads from one contiguous buffer, large payloads by reference). False when nothing
  // is queued or a write is already in flight. The buffers stay valid until written().
  bool take_output(std::vector<boost::asio::const_buffer>& bufs);
  // The write in flight completed; its buffers are released.
  void written();

  bool writing() const { return writing_; }
  // Bytes queued or in flight (for read back-pressure).
  std::size_t pending_bytes() const { return queued_ + inflight_; }
  // No more reads: the peer closed, a protocol error occurred, or our close frame is queued.
  bool closing() const { return closing_ || stopped_; }
  // Our close frame has been written: the TCP connection can be closed.
  bool done() const { return close_written_; }

 private:
  struct Large {
    std::size_t at;  // position in the contiguous buffer where this payload goes
    std::string data;
  };
  bool on_event(ws::Event& ev);
  void queue(ws::Opcode op, std::string&& payload);

  ws::Reader reader_;
  std::string out_;           // queued: headers, small payloads, control frames
  std::vector<Large> large_;  // queued: large payloads
  std::string wout_;          // in flight
  std::vector<Large> wlarge_;
  std::size_t queued_ = 0, inflight_ = 0;
  bool writing_ = false;
  bool stopped_ = false;        // the reader stopped (close or error event)
  bool closing_ = false;        // our close frame is queued
  bool close_in_flight_ = false;
  bool close_written_ = false;
};

}  // namespace natter_echo
