// RFC 6455 server-side codec (engineio/ws_codec.hpp) on plain byte strings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engineio/ws_codec.hpp"

namespace engineio::ws {
namespace {

// A client frame: masked with a fixed key.
std::string client_frame(unsigned op, std::string_view payload, bool fin = true,
                         unsigned rsv = 0, bool masked = true) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | rsv | op);
  std::size_t n = payload.size();
  unsigned char m = masked ? 0x80 : 0;
  if (n < 126) {
    f += static_cast<char>(m | n);
  } else if (n <= 0xFFFF) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i)
    f += static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0));
  return f;
}

struct Collect {
  std::vector<Event> events;
  bool operator()(Event&& e) {
    events.push_back(std::move(e));
    return true;
  }
};

// Feeds `bytes` in chunks of `chunk` bytes.
std::vector<Event> parse(std::string bytes, std::size_t chunk = 0, std::size_t max = 1000000) {
  Reader r(max);
  Collect c;
  if (chunk == 0) chunk = bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    std::string part = bytes.substr(at, chunk);
    if (!r.feed(part.data(), part.size(), c)) break;
  }
  return c.events;
}

TEST(WsCodec, ParsesTextAndBinaryMessages) {
  auto ev = parse(client_frame(1, "4hello") + client_frame(2, std::string("\x00\xff", 2)));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, Event::message);
  EXPECT_FALSE(ev[0].binary);
  EXPECT_EQ(ev[0].data, "4hello");
  EXPECT_TRUE(ev[1].binary);
  EXPECT_EQ(ev[1].data, std::string("\x00\xff", 2));
}

TEST(WsCodec, ParsesFramesSplitAtEveryByte) {
  std::string big(70000, 'x');
  std::string mid(300, 'y');
  std::string all = client_frame(1, "2probe") + client_frame(1, mid) + client_frame(2, big);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    auto ev = parse(all, chunk);
    ASSERT_EQ(ev.size(), 3u) << chunk;
    EXPECT_EQ(ev[0].data, "2probe");
    EXPECT_EQ(ev[1].data, mid);
    EXPECT_EQ(ev[2].data, big);
  }
}

TEST(WsCodec, AssemblesFragmentsWithInterleavedControlFrames) {
  std::string bytes = client_frame(1, "4he", false) + client_frame(9, "p") +
                      client_frame(0, "ll", false) + client_frame(0, "o", true);
  for (std::size_t chunk : {1u, 5u, 100u}) {
    auto ev = parse(bytes, chunk);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].kind, Event::ping);
    EXPECT_EQ(ev[0].data, "p");
    EXPECT_EQ(ev[1].kind, Event::message);
    EXPECT_EQ(ev[1].data, "4hello");
  }
}

TEST(WsCodec, CloseFrameCarriesCode) {
  auto ev = parse(client_frame(8, std::string("\x03\xe8" "bye", 5)) + client_frame(1, "late"));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Event::close);
  EXPECT_EQ(ev[0].code, 1000);
  ev = parse(client_frame(8, ""));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].code, 0);
}

TEST(WsCodec, ProtocolErrors) {
  auto first = [](std::string bytes) {
    auto ev = parse(std::move(bytes));
    return ev.empty() ? Event{} : ev.back();
  };
  auto e = first(client_frame(1, "x", true, 0, false));  // unmasked
  EXPECT_EQ(e.kind, Event::error);
  EXPECT_EQ(e.code, close_protocol_error);
  EXPECT_EQ(first(client_frame(1, "x", true, 0x40)).code, close_protocol_error);  // RSV1
  EXPECT_EQ(first(client_frame(3, "x")).code, close_protocol_error);              // opcode
  EXPECT_EQ(first(client_frame(0, "x")).code, close_protocol_error);  // stray continuation
  EXPECT_EQ(first(client_frame(9, "p", false)).code, close_protocol_error);  // fragmented ping
  EXPECT_EQ(first(client_frame(9, std::string(126, 'p'))).code, close_protocol_error);
  EXPECT_EQ(first(client_frame(8, "x")).code, close_protocol_error);  // 1-byte close
  EXPECT_EQ(first(client_frame(8, std::string("\x03\xed", 2))).code,
            close_protocol_error);  // 1005 may not be sent
  EXPECT_EQ(first(client_frame(1, "a", false) + client_frame(1, "b")).code,
            close_protocol_error);  // new message inside a fragmented one
  EXPECT_EQ(first(client_frame(1, std::string("\xc3\x28", 2))).code, close_bad_payload);
}

TEST(WsCodec, MessageLargerThanMaxIsRefused) {
  auto ev = parse(client_frame(1, std::string(101, 'a')), 0, 100);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Event::error);
  EXPECT_EQ(ev[0].code, close_too_big);
  // Across fragments too.
  ev = parse(client_frame(1, std::string(60, 'a'), false) + client_frame(0, std::string(60, 'a')),
             0, 100);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].code, close_too_big);
  // Exactly max is fine.
  ev = parse(client_frame(1, std::string(100, 'a')), 0, 100);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Event::message);
}

TEST(WsCodec, Utf8Validation) {
  EXPECT_TRUE(valid_utf8("plain ascii text, long enough for the fast path"));
  EXPECT_TRUE(valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("abc\xe2\x82"));       // truncated
  EXPECT_FALSE(valid_utf8("\x80"));
}

TEST(WsCodec, EncodesServerHeaders) {
  unsigned char h[kMaxHeader];
  EXPECT_EQ(encode_header(h, Opcode::text, 5), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 5);
  EXPECT_EQ(encode_header(h, Opcode::binary, 300), 4u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ((h[2] << 8) | h[3], 300);
  EXPECT_EQ(encode_header(h, Opcode::text, 70000), 10u);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ(encode_frame(Opcode::pong, "ab"), std::string("\x8a\x02" "ab", 4));
}

}  // namespace
}  // namespace engineio::ws

TEST(WsCodec, AcceptKeyMatchesRfc6455Example) {
  // RFC 6455 §1.3.
  EXPECT_EQ(engineio::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsCodec, AcceptKeyRejectsKeysThatAreNot16Base64Bytes) {
  EXPECT_EQ(engineio::ws::accept_key(""), "");
  EXPECT_EQ(engineio::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ"), "");     // 22 characters
  EXPECT_EQ(engineio::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=!"), "");   // not base64
  EXPECT_EQ(engineio::ws::accept_key("dGhlIHNhbXBsZSBub25jZSE="), "");   // 17 bytes
}
