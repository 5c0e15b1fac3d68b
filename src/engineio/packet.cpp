#include "engineio/packet.hpp"

#include <boost/beast/core/detail/base64.hpp>

namespace engineio {

namespace b64 = boost::beast::detail::base64;

namespace {
constexpr char kRecordSeparator = '\x1e';
}  // namespace

char type_char(PacketType t) { return static_cast<char>('0' + static_cast<int>(t)); }

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::empty_packet: return "empty packet";
    case DecodeError::unknown_type: return "unknown packet type";
    case DecodeError::bad_base64: return "invalid base64";
  }
  return "unknown";
}

base::Result<Packet, DecodeError> decode_text_packet(std::string_view text) {
  if (text.empty()) return base::fail(DecodeError::empty_packet);
  char c = text.front();
  if (c < '0' || c > '6') return base::fail(DecodeError::unknown_type);
  return Packet{static_cast<PacketType>(c - '0'), std::string(text.substr(1)), false};
}

Packet decode_binary_packet(std::string_view bytes) {
  return Packet{PacketType::message, std::string(bytes), true};
}

std::string base64_encode(std::string_view bytes) {
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  // Beast's decoder stops at the first '=' or invalid character; it does not validate. Accept
  // only full base64 with at most two '=' of padding at the very end.
  out.resize(b64::decoded_size(text.size() + 3));  // decoded_size() rounds down: unpadded input
  auto [written, consumed] = b64::decode(out.data(), text.data(), text.size());
  out.resize(written);
  std::string_view rest = text.substr(consumed);
  if (rest.size() > 2 || rest.find_first_not_of('=') != std::string_view::npos) return false;
  if (consumed % 4 == 1) return false;
  if (!rest.empty() && (consumed + rest.size()) % 4 != 0) return false;
  return true;
}

base::Result<std::vector<Packet>, DecodeError> decode_payload(std::string_view body) {
  std::vector<Packet> packets;
  if (body.empty()) return base::fail(DecodeError::empty_packet);
  for (;;) {
    auto sep = body.find(kRecordSeparator);
    std::string_view rec = body.substr(0, sep);
    if (!rec.empty() && rec.front() == 'b') {
      Packet p{PacketType::message, {}, true};
      if (!base64_decode(rec.substr(1), p.data)) return base::fail(DecodeError::bad_base64);
      packets.push_back(std::move(p));
    } else {
      auto p = decode_text_packet(rec);
      if (!p) return base::fail(p.error());
      packets.push_back(std::move(*p));
    }
    if (sep == std::string_view::npos) break;
    body.remove_prefix(sep + 1);
  }
  return packets;
}

Frame Frame::text(std::string_view payload) {
  std::string s;
  s.reserve(payload.size() + 1);
  s.push_back('4');
  s.append(payload);
  return Frame(std::make_shared<const std::string>(std::move(s)), false);
}

Frame Frame::text_wire(std::string wire) {
  return Frame(std::make_shared<const std::string>(std::move(wire)), false);
}

Frame Frame::detached() const {
  if (!bytes_) return Frame();
  return Frame(std::make_shared<const std::string>(*bytes_), binary_);
}

Frame Frame::binary(std::string bytes) {
  return Frame(std::make_shared<const std::string>(std::move(bytes)), true);
}

Frame Frame::control(PacketType t, std::string_view data) {
  std::string s;
  s.reserve(data.size() + 1);
  s.push_back(type_char(t));
  s.append(data);
  return Frame(std::make_shared<const std::string>(std::move(s)), false);
}

void append_payload_record(std::string& out, const Frame& f) {
  if (!out.empty()) out.push_back(kRecordSeparator);
  if (f.is_binary()) {
    auto bytes = f.wire();
    out.push_back('b');
    auto at = out.size();
    out.resize(at + b64::encoded_size(bytes.size()));
    out.resize(at + b64::encode(out.data() + at, bytes.data(), bytes.size()));
  } else {
    out.append(f.wire());
  }
}

std::string encode_payload(std::span<const Frame> frames) {
  std::size_t n = 0;
  for (const auto& f : frames) n += 1 + (f.is_binary() ? b64::encoded_size(f.size()) + 1 : f.size());
  std::string out;
  out.reserve(n);
  for (const auto& f : frames) append_payload_record(out, f);
  return out;
}

}  // namespace engineio
