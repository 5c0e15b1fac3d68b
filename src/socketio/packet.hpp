#pragma once
// Socket.IO v5 packet codec and binary assembler. Pure: no I/O.
//
// Text encoding:  <type>[<#attachments>-][<namespace>,][<ack id>][<JSON payload>]
//   "0", "0/admin,{"token":"x"}", "2["foo",1]", "3/admin,13["bar"]", "51-["baz",{placeholder}]"
// The namespace is written only when it is not "/"; on input the trailing comma is optional
// ("40/custom" is accepted). JSON is re-serialised compactly with key order preserved.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "engineio/packet.hpp"

namespace socketio {

enum class PacketType : std::uint8_t {
  connect,
  disconnect,
  event,
  ack,
  connect_error,
  binary_event,
  binary_ack
};

// Event arguments. Binary values appear in `args` as placeholders {"_placeholder":true,"num":i}
// that refer to attachments[i]. JSON-only handlers can ignore `attachments`.
struct Payload {
  boost::json::array args;
  std::vector<std::string> attachments;  // raw bytes
  // Outbound only: the arguments already serialised, as their JSON texts joined by ','
  // (`{"ok":true},2`). When non-empty it is sent instead of `args`: for hot paths that render
  // JSON text directly (see serialized()). Inbound payloads always use `args`.
  std::string json;

  Payload() = default;
  Payload(boost::json::array a) : args(std::move(a)) {}  // NOLINT: implicit by design
  Payload(boost::json::array a, std::vector<std::string> bins)
      : args(std::move(a)), attachments(std::move(bins)) {}
  // A payload of pre-serialised arguments. The caller vouches that `json_args` is valid JSON
  // values joined by ','; nothing parses it again.
  static Payload serialized(std::string json_args) {
    Payload p;
    p.json = std::move(json_args);
    return p;
  }
  // Adds `bytes` as an attachment and returns its placeholder, to put anywhere in `args`.
  boost::json::value add_binary(std::string bytes);
  // The attachment `v` stands for, or nullptr when `v` is not a valid placeholder.
  const std::string* binary(const boost::json::value& v) const;
};

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;  // ack id
  boost::json::value data;          // null when the packet has no payload
  std::size_t attachments = 0;      // announced by binary_event / binary_ack
};

enum class ParseError {
  empty,
  unknown_type,
  bad_attachments,       // malformed "<n>-" header, or more than max_attachments
  bad_json,              // trailing data that is not JSON (includes bad ack ids: "2abc[...]")
  invalid_payload,       // JSON of the wrong shape for the packet type
  unexpected_binary,     // binary data while no attachment is expected
  expected_binary,       // text while attachments are still expected
  bad_placeholder,       // a placeholder refers to a missing attachment
};
std::string_view to_string(ParseError e);

// Decodes one text packet (the data of an Engine.IO text message). Validates the payload
// shape per type ([ref] socket.io-parser isPayloadValid): CONNECT object or none; DISCONNECT none;
// CONNECT_ERROR object or string; EVENT non-empty array whose first element is a number or a
// non-reserved string; ACK array.
base::Result<Packet, ParseError> decode_packet(std::string_view text,
                                               std::size_t max_attachments = 10);

// Text encoding of `p` (attachments count taken from p.attachments for binary types).
std::string encode_packet(const Packet& p);
// Engine.IO frames for a packet carrying `payload`: EVENT/ACK become BINARY_* when the payload
// has attachments. `p.data` is ignored; the array is [event?, ...payload.args]. For events,
// pass the event name in `event`; for acks pass nullopt.
std::vector<engineio::Frame> encode_frames(PacketType type, std::string_view nsp,
                                           std::optional<std::uint64_t> id,
                                           std::optional<std::string_view> event,
                                           const Payload& payload);

// Reassembles binary packets: a BINARY_* header followed by N binary messages.
class Assembler {
 public:
  struct Complete {
    Packet packet;
    std::vector<std::string> attachments;
  };
  explicit Assembler(std::size_t max_attachments = 10) : max_attachments_(max_attachments) {}
  // A text message. Returns the packet when complete, nullopt when attachments must follow.
  base::Result<std::optional<Complete>, ParseError> on_text(std::string_view text);
  // A binary message (one attachment).
  base::Result<std::optional<Complete>, ParseError> on_binary(std::string bytes);
  bool pending() const { return pending_ != nullptr; }

 private:
  base::Result<std::optional<Complete>, ParseError> finish(Complete c);
  std::size_t max_attachments_;
  // Only between a binary header and its last attachment (an idle connection holds nothing).
  std::unique_ptr<Complete> pending_;
};

}  // namespace socketio
