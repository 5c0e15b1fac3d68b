// Fuzzes the Socket.IO v5 packet decoder and the binary assembler. The input is split on 0xff
// into messages; a message starting with 0x00 is fed as a binary attachment, others as text.
// A decoded packet must re-encode to text that decodes to the same packet.
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "socketio/packet.hpp"

namespace {
void check_roundtrip(const socketio::Packet& p) {
  auto text = socketio::encode_packet(p);
  auto again = socketio::decode_packet(text);
  if (!again) std::abort();
  if (again->type != p.type || again->nsp != p.nsp || again->id != p.id ||
      again->attachments != p.attachments || again->data != p.data)
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto p = socketio::decode_packet(in); p.ok()) {
    // Namespaces with ',' cannot round-trip (the comma ends them); the decoder never yields one.
    check_roundtrip(*p);
  }
  socketio::Assembler assembler(10);
  while (!in.empty()) {
    auto cut = in.find('\xff');
    std::string_view msg = in.substr(0, cut);
    in = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
    auto r = (!msg.empty() && msg.front() == '\0') ? assembler.on_binary(std::string(msg.substr(1)))
                                                   : assembler.on_text(msg);
    if (!r) {
      assembler = socketio::Assembler(10);
      continue;
    }
    if (r->has_value()) {
      const auto& done = **r;
      socketio::Payload payload;
      if (done.packet.data.is_array()) payload.args = done.packet.data.get_array();
      payload.attachments = done.attachments;
      auto frames = socketio::encode_frames(socketio::PacketType::ack, done.packet.nsp,
                                            done.packet.id, std::nullopt, payload);
      if (frames.size() != 1 + payload.attachments.size()) std::abort();
    }
  }
  return 0;
}
