#include "socketio/packet.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>

#include "base/json_text.hpp"

namespace socketio {

namespace json = boost::json;

namespace {

bool is_binary_type(PacketType t) {
  return t == PacketType::binary_event || t == PacketType::binary_ack;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Event names the client may not use ([ref] socket.io-parser RESERVED_EVENTS).
bool reserved_event(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kReserved = {
      "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};
  for (auto r : kReserved)
    if (r == name) return true;
  return false;
}

bool valid_payload(const Packet& p) {
  switch (p.type) {
    case PacketType::connect: return p.data.is_null() || p.data.is_object();
    case PacketType::disconnect: return p.data.is_null();
    case PacketType::connect_error: return p.data.is_object() || p.data.is_string();
    case PacketType::event:
    case PacketType::binary_event: {
      if (!p.data.is_array()) return false;
      const auto& a = p.data.get_array();
      if (a.empty()) return false;
      if (a[0].is_number()) return true;
      return a[0].is_string() && !reserved_event(a[0].get_string());
    }
    case PacketType::ack:
    case PacketType::binary_ack: return p.data.is_array();
  }
  return false;
}

const json::value* placeholder_num(const json::value& v) {
  const auto* o = v.if_object();
  if (!o || o->size() != 2) return nullptr;
  const auto* ph = o->if_contains("_placeholder");
  const auto* num = o->if_contains("num");
  if (!ph || !num || !ph->is_bool() || !ph->get_bool()) return nullptr;
  return num;
}

// Every placeholder in `v` must refer to an existing attachment.
bool placeholders_valid(const json::value& v, std::size_t n) {
  if (const auto* num = placeholder_num(v)) {
    if (num->is_int64()) return num->get_int64() >= 0 && std::uint64_t(num->get_int64()) < n;
    if (num->is_uint64()) return num->get_uint64() < n;
    return false;
  }
  if (const auto* a = v.if_array()) {
    for (const auto& e : *a)
      if (!placeholders_valid(e, n)) return false;
  } else if (const auto* o = v.if_object()) {
    for (const auto& kv : *o)
      if (!placeholders_valid(kv.value(), n)) return false;
  }
  return true;
}

void append_header(std::string& s, PacketType type, std::size_t attachments, std::string_view nsp,
                   std::optional<std::uint64_t> id) {
  s.push_back(static_cast<char>('0' + static_cast<int>(type)));
  if (is_binary_type(type)) {
    s += std::to_string(attachments);
    s.push_back('-');
  }
  if (nsp != "/") {
    s.append(nsp);
    s.push_back(',');
  }
  if (id) s += std::to_string(*id);
}

}  // namespace

std::string_view to_string(ParseError e) {
  switch (e) {
    case ParseError::empty: return "empty packet";
    case ParseError::unknown_type: return "unknown packet type";
    case ParseError::bad_attachments: return "illegal attachments";
    case ParseError::bad_json: return "invalid payload";
    case ParseError::invalid_payload: return "invalid payload format";
    case ParseError::unexpected_binary: return "unexpected binary data";
    case ParseError::expected_binary: return "got plaintext data when reconstructing a packet";
    case ParseError::bad_placeholder: return "illegal placeholder";
  }
  return "unknown";
}

json::value Payload::add_binary(std::string bytes) {
  attachments.push_back(std::move(bytes));
  json::object o;
  o["_placeholder"] = true;
  o["num"] = attachments.size() - 1;
  return o;
}

const std::string* Payload::binary(const json::value& v) const {
  const auto* num = placeholder_num(v);
  if (!num) return nullptr;
  std::uint64_t i;
  if (num->is_int64() && num->get_int64() >= 0)
    i = std::uint64_t(num->get_int64());
  else if (num->is_uint64())
    i = num->get_uint64();
  else
    return nullptr;
  return i < attachments.size() ? &attachments[i] : nullptr;
}

base::Result<Packet, ParseError> decode_packet(std::string_view s, std::size_t max_attachments) {
  if (s.empty()) return base::fail(ParseError::empty);
  if (s[0] < '0' || s[0] > '6') return base::fail(ParseError::unknown_type);
  Packet p;
  p.type = static_cast<PacketType>(s[0] - '0');
  std::size_t i = 1;
  if (is_binary_type(p.type)) {
    auto dash = s.find('-', i);
    if (dash == std::string_view::npos || dash == i) return base::fail(ParseError::bad_attachments);
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + dash, n);
    if (ec != std::errc() || ptr != s.data() + dash || n > max_attachments)
      return base::fail(ParseError::bad_attachments);
    p.attachments = n;
    i = dash + 1;
  }
  if (i < s.size() && s[i] == '/') {
    auto comma = s.find(',', i);
    if (comma == std::string_view::npos) {
      p.nsp = std::string(s.substr(i));
      i = s.size();
    } else {
      p.nsp = std::string(s.substr(i, comma - i));
      i = comma + 1;
    }
  }
  if (i < s.size() && is_digit(s[i])) {
    std::size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    std::uint64_t id = 0;
    auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + j, id);
    if (ec != std::errc()) return base::fail(ParseError::bad_json);
    p.id = id;
    i = j;
  }
  if (i < s.size()) {
    boost::system::error_code ec;
    p.data = json::parse(s.substr(i), ec);
    if (ec) return base::fail(ParseError::bad_json);
  }
  if (!valid_payload(p)) return base::fail(ParseError::invalid_payload);
  return p;
}

std::string encode_packet(const Packet& p) {
  std::string s;
  append_header(s, p.type, p.attachments, p.nsp, p.id);
  if (!p.data.is_null()) s += json::serialize(p.data);
  return s;
}

std::vector<engineio::Frame> encode_frames(PacketType type, std::string_view nsp,
                                           std::optional<std::uint64_t> id,
                                           std::optional<std::string_view> event,
                                           const Payload& payload) {
  bool binary = !payload.attachments.empty();
  if (binary && type == PacketType::event) type = PacketType::binary_event;
  if (binary && type == PacketType::ack) type = PacketType::binary_ack;
  std::string s = "4";  // the Engine.IO message type, so the frame is built without a copy
  s.reserve(24 + nsp.size() + (event ? event->size() : 0) + payload.json.size());
  append_header(s, type, payload.attachments.size(), nsp, id);
  s.push_back('[');
  bool first = true;
  if (event) {
    base::json_text::str(s, *event);
    first = false;
  }
  if (!payload.json.empty()) {
    if (!first) s.push_back(',');
    s += payload.json;
  } else {
    for (const auto& a : payload.args) {
      if (!first) s.push_back(',');
      s += json::serialize(a);
      first = false;
    }
  }
  s.push_back(']');
  std::vector<engineio::Frame> frames;
  frames.reserve(1 + payload.attachments.size());
  frames.push_back(engineio::Frame::text_wire(std::move(s)));
  for (const auto& b : payload.attachments) frames.push_back(engineio::Frame::binary(b));
  return frames;
}

base::Result<std::optional<Assembler::Complete>, ParseError> Assembler::on_text(
    std::string_view text) {
  if (pending_) return base::fail(ParseError::expected_binary);
  auto p = decode_packet(text, max_attachments_);
  if (!p) return base::fail(p.error());
  if (is_binary_type(p->type) && p->attachments > 0) {
    pending_ = std::make_unique<Complete>(Complete{std::move(*p), {}});
    return std::optional<Complete>();
  }
  return finish(Complete{std::move(*p), {}});
}

base::Result<std::optional<Assembler::Complete>, ParseError> Assembler::on_binary(
    std::string bytes) {
  if (!pending_) return base::fail(ParseError::unexpected_binary);
  pending_->attachments.push_back(std::move(bytes));
  if (pending_->attachments.size() < pending_->packet.attachments) return std::optional<Complete>();
  Complete c = std::move(*pending_);
  pending_.reset();
  return finish(std::move(c));
}

base::Result<std::optional<Assembler::Complete>, ParseError> Assembler::finish(Complete c) {
  if (is_binary_type(c.packet.type) && !placeholders_valid(c.packet.data, c.attachments.size()))
    return base::fail(ParseError::bad_placeholder);
  return std::optional<Complete>(std::move(c));
}

}  // namespace socketio
