// Fuzzes the Engine.IO v4 payload and packet decoders; checks that what decodes re-encodes to a
// payload that decodes to the same packets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)engineio::decode_text_packet(in);
  (void)engineio::decode_binary_packet(in);
  auto r = engineio::decode_payload(in);
  if (!r) return 0;
  std::vector<engineio::Frame> frames;
  for (const auto& p : *r) {
    if (p.binary)
      frames.push_back(engineio::Frame::binary(p.data));
    else
      frames.push_back(engineio::Frame::control(p.type, p.data));
  }
  auto again = engineio::decode_payload(engineio::encode_payload(frames));
  if (!again || again->size() != r->size()) std::abort();
  for (std::size_t i = 0; i < r->size(); ++i)
    if (!((*again)[i] == (*r)[i])) std::abort();
  return 0;
}
