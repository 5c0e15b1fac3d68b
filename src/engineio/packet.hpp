#pragma once
// Engine.IO v4 packet and payload codec. Pure: no I/O, no allocation beyond the returned values.
//
// Wire format (protocol v4):
//   text packet      <type digit><data>            e.g. "4hello", "2", "3probe"
//   binary packet    raw bytes (WebSocket binary frame): always a message packet
//   polling payload  packets joined by '\x1e'; a binary message is the record "b<base64>"
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace engineio {

enum class PacketType : std::uint8_t { open, close, ping, pong, message, upgrade, noop };

// The digit that encodes `t` on the wire ('0'..'6').
char type_char(PacketType t);

// A decoded inbound packet.
struct Packet {
  PacketType type = PacketType::message;
  std::string data;     // text after the type digit, or the raw bytes of a binary message
  bool binary = false;  // true only for binary message packets
  friend bool operator==(const Packet&, const Packet&) = default;
};

enum class DecodeError {
  empty_packet,  // a zero-length text packet or payload record
  unknown_type,  // first character is not '0'..'6'
  bad_base64,    // a "b..." record whose body is not valid base64
};
std::string_view to_string(DecodeError e);

// One text packet (a WebSocket text frame or one payload record that is not "b...").
base::Result<Packet, DecodeError> decode_text_packet(std::string_view text);
// A WebSocket binary frame: a binary message packet carrying `bytes`.
Packet decode_binary_packet(std::string_view bytes);
// A long-polling request body: records separated by '\x1e'. Fails on the first bad record.
base::Result<std::vector<Packet>, DecodeError> decode_payload(std::string_view body);

// An outbound packet, encoded once. Copies share the bytes, so one broadcast frame can be queued
// on many sessions without copying. Thread-safe to copy and read.
class Frame {
 public:
  Frame() = default;
  // Message packet with text `payload` (wire: '4' + payload).
  static Frame text(std::string_view payload);
  // Message packet with text; `wire` must already start with '4' (avoids a copy).
  static Frame text_wire(std::string wire);
  // Message packet carrying raw bytes.
  static Frame binary(std::string bytes);
  // Any text packet type with optional data, e.g. control(PacketType::ping) -> "2".
  static Frame control(PacketType t, std::string_view data = {});

  // The same frame with bytes of its own. Copies of a Frame share one reference count; a
  // broadcast copies its frames once per thread with this, so that the threads queueing them to
  // their sockets do not contend for one count.
  Frame detached() const;

  bool is_binary() const { return binary_; }
  // WebSocket frame contents: the full text packet ("4hello"), or the raw bytes when binary.
  std::string_view wire() const { return bytes_ ? std::string_view(*bytes_) : std::string_view(); }
  // Bytes held (for queue accounting).
  std::size_t size() const { return bytes_ ? bytes_->size() : 0; }
  bool empty() const { return !bytes_; }

 private:
  Frame(std::shared_ptr<const std::string> b, bool binary) : bytes_(std::move(b)), binary_(binary) {}
  std::shared_ptr<const std::string> bytes_;
  bool binary_ = false;
};

// Appends `f` to a polling response body: a '\x1e' separator if `out` is non-empty, then the
// text packet, or 'b' + base64 for a binary message.
void append_payload_record(std::string& out, const Frame& f);
// All frames joined as one polling response body.
std::string encode_payload(std::span<const Frame> frames);

// Standard base64 (with padding), as used by "b" records.
std::string base64_encode(std::string_view bytes);
// Returns false if `text` is not valid padded-or-unpadded base64.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace engineio
