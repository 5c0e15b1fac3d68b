// natter-echo's connection logic (echo_conn.hpp) on byte strings: what goes back for what comes in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "echo_conn.hpp"

namespace natter_echo {
namespace {

// A masked client frame (payloads < 64 KiB).
std::string masked(unsigned char first_byte, const std::string& payload) {
  static const char key[4] = {'\x37', '\xfa', '\x21', '\x3d'};
  std::string f(1, static_cast<char>(first_byte));
  if (payload.size() < 126) {
    f += static_cast<char>(0x80 | payload.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xFF);
  }
  f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return f;
}

// An unmasked server frame, as the echo should write it.
std::string plain(ws::Opcode op, const std::string& payload) { return ws::encode_frame(op, payload); }

// Takes the pending output as one string (the gathered buffers concatenated) and completes it.
std::string drain(EchoConn& c) {
  std::vector<boost::asio::const_buffer> bufs;
  if (!c.take_output(bufs)) return {};
  std::string out;
  for (auto& b : bufs) out.append(static_cast<const char*>(b.data()), b.size());
  c.written();
  return out;
}

bool feed(EchoConn& c, std::string bytes, std::size_t chunk = 0) {
  if (chunk == 0) chunk = bytes.size();
  bool go = true;
  for (std::size_t at = 0; at < bytes.size() && go; at += chunk) {
    std::string part = bytes.substr(at, chunk);
    go = c.feed(part.data(), part.size());
  }
  return go;
}

TEST(EchoConn, EchoesTextAndBinaryWithTheirOpcode) {
  EchoConn c(1 << 20);
  std::string bin("\x00\x01\xff", 3);
  EXPECT_TRUE(feed(c, masked(0x81, "hello") + masked(0x82, bin)));
  EXPECT_EQ(drain(c), plain(ws::Opcode::text, "hello") + plain(ws::Opcode::binary, bin));
  EXPECT_EQ(c.pending_bytes(), 0u);
  EXPECT_FALSE(c.closing());
}

TEST(EchoConn, ReassemblesAFragmentedMessageWithAPingBetweenItsFragments) {
  EchoConn c(1 << 20);
  // "fragmented " (text, FIN=0), ping, "message" (continuation, FIN=1), fed 3 bytes at a time.
  std::string in = masked(0x01, "fragmented ") + masked(0x89, "p1") + masked(0x80, "message");
  EXPECT_TRUE(feed(c, in, 3));
  EXPECT_EQ(drain(c), plain(ws::Opcode::pong, "p1") + plain(ws::Opcode::text, "fragmented message"));
}

TEST(EchoConn, LargePayloadGoesOutAsItsOwnBuffer) {
  EchoConn c(1 << 20);
  std::string big(5000, 'x');
  EXPECT_TRUE(feed(c, masked(0x81, "a") + masked(0x82, big) + masked(0x81, "b"), 1000));
  std::vector<boost::asio::const_buffer> bufs;
  ASSERT_TRUE(c.take_output(bufs));
  EXPECT_EQ(bufs.size(), 3u);  // [hdr a hdr], big payload, [hdr b]
  EXPECT_EQ(c.pending_bytes(), 2 + 1 + 4 + 5000 + 2 + 1);
  std::vector<boost::asio::const_buffer> again;
  EXPECT_FALSE(c.take_output(again));  // one write at a time
  std::string out;
  for (auto& b : bufs) out.append(static_cast<const char*>(b.data()), b.size());
  EXPECT_EQ(out, plain(ws::Opcode::text, "a") + plain(ws::Opcode::binary, big) +
                     plain(ws::Opcode::text, "b"));
  c.written();
  EXPECT_EQ(c.pending_bytes(), 0u);
}

TEST(EchoConn, AnswersCloseWithTheSameCodeThenIsDone) {
  EchoConn c(1 << 20);
  std::string close_payload("\x03\xe8" "bye", 5);  // 1000
  EXPECT_FALSE(feed(c, masked(0x81, "last") + masked(0x88, close_payload) + masked(0x81, "after")));
  EXPECT_TRUE(c.closing());
  EXPECT_FALSE(c.done());
  EXPECT_EQ(drain(c), plain(ws::Opcode::text, "last") + plain(ws::Opcode::close, "\x03\xe8"));
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(feed(c, masked(0x81, "more")));  // no reading after the close
}

TEST(EchoConn, FailsUnmaskedFramesAndBadUtf8WithACloseCode) {
  EchoConn unmasked(1 << 20);
  EXPECT_FALSE(feed(unmasked, plain(ws::Opcode::text, "hi")));
  EXPECT_EQ(drain(unmasked), plain(ws::Opcode::close, "\x03\xea"));  // 1002
  EXPECT_TRUE(unmasked.done());

  EchoConn utf8(1 << 20);
  EXPECT_FALSE(feed(utf8, masked(0x81, "\xc3\x28")));
  EXPECT_EQ(drain(utf8), plain(ws::Opcode::close, "\x03\xef"));  // 1007
}

TEST(EchoConn, TooBigMessageIsRefused) {
  EchoConn c(16);
  EXPECT_FALSE(feed(c, masked(0x01, std::string(10, 'a')) + masked(0x80, std::string(10, 'b'))));
  EXPECT_EQ(drain(c), plain(ws::Opcode::close, "\x03\xf1"));  // 1009
}

TEST(EchoConn, ServerCloseIsTheLastFrameAndStopsEchoing) {
  EchoConn c(1 << 20);
  EXPECT_TRUE(feed(c, masked(0x81, "one")));
  c.close(kCloseGoingAway);
  c.close(kCloseGoingAway);  // once only
  EXPECT_TRUE(c.closing());
  EXPECT_TRUE(feed(c, masked(0x81, "ignored") + masked(0x89, "")));
  EXPECT_EQ(drain(c), plain(ws::Opcode::text, "one") + plain(ws::Opcode::close, "\x03\xe9"));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(drain(c), "");
}

TEST(EchoConn, RawBytesGoOutBeforeTheEchoOfEarlyFrames) {
  EchoConn c(1 << 20);
  const std::string response = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
  c.queue_raw(response);
  EXPECT_TRUE(feed(c, masked(0x81, "early")));
  EXPECT_EQ(c.pending_bytes(), response.size() + 2 + 5);
  EXPECT_EQ(drain(c), response + plain(ws::Opcode::text, "early"));
}

TEST(EchoConn, RelayModeHandsMessagesOverAsFramesInsteadOfEchoingThem) {
  EchoConn c(1 << 20, true);
  std::string bin("\x00\x01\xff", 3);
  EXPECT_TRUE(feed(c, masked(0x81, "to the group") + masked(0x89, "p") + masked(0x82, bin), 5));
  ASSERT_EQ(c.relayed().size(), 2u);
  EXPECT_EQ(*c.relayed()[0], plain(ws::Opcode::text, "to the group"));
  EXPECT_EQ(*c.relayed()[1], plain(ws::Opcode::binary, bin));
  EXPECT_EQ(drain(c), plain(ws::Opcode::pong, "p"));  // control frames are still answered
  c.relayed().clear();
  c.close(kCloseGoingAway);
  EXPECT_TRUE(feed(c, masked(0x81, "after our close")));
  EXPECT_TRUE(c.relayed().empty());
}

TEST(EchoConn, SharedFrameIsWrittenFromItsOwnBytesBetweenTheOthers) {
  SharedFrame f = make_frame(ws::Opcode::text, std::string(200, 's'));
  EchoConn c(1 << 20);
  EXPECT_TRUE(feed(c, masked(0x81, "a")));
  c.send(f);
  c.send(f);
  EXPECT_TRUE(feed(c, masked(0x81, "b")));
  EXPECT_EQ(f.use_count(), 3);  // queued by reference
  std::vector<boost::asio::const_buffer> bufs;
  ASSERT_TRUE(c.take_output(bufs));
  ASSERT_EQ(bufs.size(), 4u);  // [echo a], f, f, [echo b]
  EXPECT_EQ(bufs[1].data(), f->data());
  EXPECT_EQ(bufs[2].data(), f->data());
  EXPECT_EQ(c.pending_bytes(), 3 + 2 * f->size() + 3);
  std::string out;
  for (auto& b : bufs) out.append(static_cast<const char*>(b.data()), b.size());
  EXPECT_EQ(out, plain(ws::Opcode::text, "a") + *f + *f + plain(ws::Opcode::text, "b"));
  c.written();
  EXPECT_EQ(f.use_count(), 1);  // released once written
}

TEST(EchoConn, NoSharedFramesAfterTheCloseFrame) {
  EchoConn c(1 << 20);
  c.close(kCloseGoingAway);
  c.send(make_frame(ws::Opcode::text, "late"));
  EXPECT_EQ(drain(c), plain(ws::Opcode::close, "\x03\xe9"));
  EXPECT_TRUE(c.done());
}

}  // namespace
}  // namespace natter_echo
