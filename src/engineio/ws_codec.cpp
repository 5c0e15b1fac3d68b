#include "engineio/ws_codec.hpp"

#include <openssl/evp.h>

#include <cstring>

#include "engineio/packet.hpp"

namespace engineio::ws {

std::string accept_key(std::string_view client_key) {
  std::string raw;
  if (client_key.size() != 24 || !base64_decode(client_key, raw) || raw.size() != 16) return {};
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(client_key.size() + kGuid.size());
  input.append(client_key).append(kGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &n, EVP_sha1(), nullptr) != 1) return {};
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), n));
}

namespace {

// Unmasks n bytes from `src` into `dst` (may alias); `key` is the 4-byte masking key.
void unmask_copy(char* dst, const char* src, std::size_t n, const unsigned char key[4]) {
  std::size_t i = 0;
  if (n >= 8) {
    std::uint64_t k8;
    unsigned char kb[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    std::memcpy(&k8, kb, 8);
    for (; i + 8 <= n; i += 8) {
      std::uint64_t v;
      std::memcpy(&v, src + i, 8);
      v ^= k8;
      std::memcpy(dst + i, &v, 8);
    }
  }
  for (; i < n; ++i) dst[i] = static_cast<char>(src[i] ^ static_cast<char>(key[i & 3]));
}

}  // namespace

std::size_t encode_header(unsigned char* out, Opcode op, std::uint64_t len) {
  out[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
  if (len < 126) {
    out[1] = static_cast<unsigned char>(len);
    return 2;
  }
  if (len <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<unsigned char>(len >> 8);
    out[3] = static_cast<unsigned char>(len);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<unsigned char>(len >> (56 - 8 * i));
  return 10;
}

std::string encode_frame(Opcode op, std::string_view payload) {
  unsigned char h[kMaxHeader];
  std::size_t hn = encode_header(h, op, payload.size());
  std::string out(reinterpret_cast<const char*>(h), hn);
  out.append(payload);
  return out;
}

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII fast path, 8 bytes at a time.
    while (end - p >= 8) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      if (v & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) <= need) return false;
    unsigned c1 = p[1];
    if (c1 < lo || c1 > hi) return false;
    for (std::size_t i = 2; i <= need; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += need + 1;
  }
  return true;
}

bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

Reader::Step Reader::step(char* p, std::size_t n, std::size_t& used, Event& ev) {
  if (n < 2) return Step::need_more;
  auto b0 = static_cast<unsigned char>(p[0]);
  auto b1 = static_cast<unsigned char>(p[1]);
  auto fail = [&](std::uint16_t code) {
    used = n;
    ev.kind = Event::error;
    ev.code = code;
    return Step::stop;
  };
  bool fin = b0 & 0x80;
  unsigned op = b0 & 0x0F;
  if (b0 & 0x70) return fail(close_protocol_error);  // no extension negotiated
  if (!(b1 & 0x80)) return fail(close_protocol_error);  // client frames are masked
  std::uint64_t len = b1 & 0x7F;
  std::size_t hsize = 2;
  if (len == 126) {
    if (n < 4) return Step::need_more;
    len = (std::uint64_t(static_cast<unsigned char>(p[2])) << 8) |
          static_cast<unsigned char>(p[3]);
    hsize = 4;
    if (len < 126) return fail(close_protocol_error);  // not minimal
  } else if (len == 127) {
    if (n < 10) return Step::need_more;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(p[2 + i]);
    hsize = 10;
    if (len >> 63) return fail(close_protocol_error);
    if (len <= 0xFFFF) return fail(close_protocol_error);  // not minimal
  }
  bool control = op & 0x8;
  if (control) {
    if (!fin || len > 125) return fail(close_protocol_error);
    if (op != 0x8 && op != 0x9 && op != 0xA) return fail(close_protocol_error);
  } else {
    if (op > 0x2) return fail(close_protocol_error);
    if (op == 0 && op_ == 0) return fail(close_protocol_error);  // nothing to continue
    if (op != 0 && op_ != 0) return fail(close_protocol_error);  // message in progress
    if ((op_ ? msg_.size() : 0) + len > max_) return fail(close_too_big);
  }
  // Refuse early: never buffer more than one oversized frame's header.
  if (n < hsize + 4) return Step::need_more;
  unsigned char key[4];
  std::memcpy(key, p + hsize, 4);
  hsize += 4;
  if (n - hsize < len) return Step::need_more;
  used = hsize + static_cast<std::size_t>(len);
  char* payload = p + hsize;
  auto plen = static_cast<std::size_t>(len);

  if (control) {
    unmask_copy(payload, payload, plen, key);
    if (op == 0x8) {
      ev.kind = Event::close;
      if (plen == 1) return fail(close_protocol_error);
      if (plen >= 2) {
        ev.code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                             static_cast<unsigned char>(payload[1]));
        if (!valid_close_code(ev.code)) return fail(close_protocol_error);
        if (!valid_utf8(std::string_view(payload + 2, plen - 2))) return fail(close_bad_payload);
      }
      return Step::stop;
    }
    ev.kind = op == 0x9 ? Event::ping : Event::pong;
    ev.data.assign(payload, plen);
    return Step::event;
  }

  if (op != 0 && fin) {
    // A whole message in one frame: the common case.
    ev.kind = Event::message;
    ev.binary = op == 0x2;
    ev.data.resize(plen);
    unmask_copy(ev.data.data(), payload, plen, key);
    if (!ev.binary && !valid_utf8(ev.data)) return fail(close_bad_payload);
    return Step::event;
  }
  if (op != 0) op_ = static_cast<std::uint8_t>(op);
  std::size_t at = msg_.size();
  msg_.resize(at + plen);
  unmask_copy(msg_.data() + at, payload, plen, key);
  if (!fin) return Step::consumed;
  ev.kind = Event::message;
  ev.binary = op_ == 0x2;
  ev.data = std::move(msg_);
  msg_ = std::string();
  op_ = 0;
  if (!ev.binary && !valid_utf8(ev.data)) return fail(close_bad_payload);
  return Step::event;
}

}  // namespace engineio::ws
