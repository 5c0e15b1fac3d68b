#pragma once
// Sans-I/O RFC 6455 codec for the server side of a WebSocket: parses client frames (masked,
// possibly fragmented, control frames interleaved) and encodes server frame headers (unmasked).
// No I/O, no timers: the transport feeds it bytes and acts on the events it reports.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace engineio::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close status codes the server sends.
enum CloseCode : std::uint16_t {
  close_normal = 1000,
  close_protocol_error = 1002,
  close_bad_payload = 1007,  // text that is not UTF-8
  close_too_big = 1009,
};

// Largest server frame header: 2 + 8 bytes (no mask).
inline constexpr std::size_t kMaxHeader = 10;

// Writes the header of a final, unmasked server frame carrying `len` bytes. Returns its size.
std::size_t encode_header(unsigned char* out, Opcode op, std::uint64_t len);
// A complete server frame (header + payload), for small control frames.
std::string encode_frame(Opcode op, std::string_view payload);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2: base64 of the SHA-1 of
// the key and the protocol GUID). Empty if the key is not the base64 of 16 bytes.
std::string accept_key(std::string_view client_key);

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);
// True if `code` may appear in a close frame sent by a peer.
bool valid_close_code(std::uint16_t code);

// What Reader::feed reports.
struct Event {
  enum Kind : std::uint8_t { message, ping, pong, close, error } kind = message;
  bool binary = false;      // message: binary (else UTF-8 text)
  std::uint16_t code = 0;   // close: the peer's code (0: none); error: the close code to send
  std::string data;         // message body; ping/pong payload
};

// Incremental parser of the client → server byte stream. Holds only an incomplete frame and a
// fragmented message between calls (nothing while the connection idles).
class Reader {
 public:
  explicit Reader(std::size_t max_message) : max_(max_message) {}

  // Consumes `n` bytes at `data` (the buffer is modified: unmasked in place). For each event
  // calls sink(Event&&) -> bool; a false return stops parsing (the rest is discarded, and the
  // reader must not be fed again). Parsing also stops after a close or error event. Returns false
  // if it stopped.
  template <class Sink>
  bool feed(char* data, std::size_t n, Sink&& sink);

  // True while bytes of an incomplete frame or message are held.
  bool mid_frame() const { return !partial_.empty() || op_ != 0; }

 private:
  enum class Step : std::uint8_t { need_more, event, consumed, stop };
  // Parses one frame at [p, p+n). On event/consumed/stop sets `used`.
  Step step(char* p, std::size_t n, std::size_t& used, Event& ev);

  std::size_t max_;
  std::string partial_;  // bytes of an incomplete frame (still masked)
  std::string msg_;      // a fragmented message's data so far
  std::uint8_t op_ = 0;  // opcode of the fragmented message in progress (0: none)
};

template <class Sink>
bool Reader::feed(char* data, std::size_t n, Sink&& sink) {
  char* p = data;
  std::size_t left = n;
  bool from_partial = false;
  if (!partial_.empty()) {
    partial_.append(data, n);
    p = partial_.data();
    left = partial_.size();
    from_partial = true;
  }
  for (;;) {
    std::size_t used = 0;
    Event ev;
    Step s = step(p, left, used, ev);
    if (s == Step::need_more) break;
    p += used;
    left -= used;
    if (s == Step::consumed) continue;
    bool last = s == Step::stop;
    if (!sink(std::move(ev)) || last) {
      std::string().swap(partial_);
      std::string().swap(msg_);
      return false;
    }
  }
  if (from_partial) {
    if (left == 0)
      std::string().swap(partial_);
    else
      partial_.erase(0, partial_.size() - left);
  } else if (left > 0) {
    partial_.assign(p, left);
  }
  return true;
}

}  // namespace engineio::ws
