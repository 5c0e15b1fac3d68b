// Engine.IO v4 codec on plain strings.
#include <gtest/gtest.h>

#include <vector>

#include "engineio/packet.hpp"

namespace engineio {
namespace {

TEST(EngineioPacket, DecodesTypeDigitAndData) {
  auto p = decode_text_packet("4hello");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->type, PacketType::message);
  EXPECT_EQ(p->data, "hello");
  EXPECT_FALSE(p->binary);
}

TEST(EngineioPacket, DecodesEveryControlType) {
  EXPECT_EQ(decode_text_packet("0")->type, PacketType::open);
  EXPECT_EQ(decode_text_packet("1")->type, PacketType::close);
  EXPECT_EQ(decode_text_packet("2")->type, PacketType::ping);
  EXPECT_EQ(decode_text_packet("3probe")->type, PacketType::pong);
  EXPECT_EQ(decode_text_packet("3probe")->data, "probe");
  EXPECT_EQ(decode_text_packet("5")->type, PacketType::upgrade);
  EXPECT_EQ(decode_text_packet("6")->type, PacketType::noop);
}

TEST(EngineioPacket, RejectsUnknownTypeAndEmptyPacket) {
  EXPECT_EQ(decode_text_packet("abc").error(), DecodeError::unknown_type);
  EXPECT_EQ(decode_text_packet("7").error(), DecodeError::unknown_type);
  EXPECT_EQ(decode_text_packet("").error(), DecodeError::empty_packet);
}

TEST(EngineioPacket, BinaryFrameIsAMessageWithRawBytes) {
  auto p = decode_binary_packet(std::string_view("\x01\x02\x03\x04", 4));
  EXPECT_EQ(p.type, PacketType::message);
  EXPECT_TRUE(p.binary);
  EXPECT_EQ(p.data, std::string("\x01\x02\x03\x04", 4));
}

// A detached frame has the same wire bytes and kind in storage of its own (what a broadcast hands
// to each thread); an empty frame stays empty.
TEST(EngineioPacket, DetachedFrameCopiesTheBytes) {
  for (const auto& f :
       {engineio::Frame::text("hello"), engineio::Frame::binary(std::string("\x01\x00", 2))}) {
    const auto d = f.detached();
    EXPECT_EQ(d.wire(), f.wire());
    EXPECT_EQ(d.is_binary(), f.is_binary());
    EXPECT_NE(d.wire().data(), f.wire().data());
  }
  EXPECT_TRUE(engineio::Frame().detached().empty());
}

TEST(EngineioPayload, SplitsRecordsOnRecordSeparator) {
  auto r = decode_payload("4hello\x1e" "2\x1e" "4world");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (Packet{PacketType::message, "hello", false}));
  EXPECT_EQ((*r)[1], (Packet{PacketType::ping, "", false}));
  EXPECT_EQ((*r)[2], (Packet{PacketType::message, "world", false}));
}

TEST(EngineioPayload, DecodesBase64BinaryRecords) {
  auto r = decode_payload("4hello\x1e" "bAQIDBA==");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1], (Packet{PacketType::message, std::string("\x01\x02\x03\x04", 4), true}));
}

TEST(EngineioPayload, AcceptsUnpaddedBase64) {
  auto r = decode_payload("bAQIDBA");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].data, std::string("\x01\x02\x03\x04", 4));
}

TEST(EngineioPayload, RejectsInvalidBase64) {
  EXPECT_EQ(decode_payload("b!!!!").error(), DecodeError::bad_base64);
  EXPECT_EQ(decode_payload("bAQID=A").error(), DecodeError::bad_base64);
  EXPECT_EQ(decode_payload("bA").error(), DecodeError::bad_base64);
  EXPECT_EQ(decode_payload("bAQ===").error(), DecodeError::bad_base64);
}

TEST(EngineioPayload, EmptyBinaryRecordIsAnEmptyMessage) {
  auto r = decode_payload("b");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].binary);
  EXPECT_TRUE((*r)[0].data.empty());
}

TEST(EngineioPayload, RejectsEmptyBodyAndEmptyRecords) {
  EXPECT_EQ(decode_payload("").error(), DecodeError::empty_packet);
  EXPECT_EQ(decode_payload("4a\x1e").error(), DecodeError::empty_packet);
  EXPECT_EQ(decode_payload("\x1e" "4a").error(), DecodeError::empty_packet);
}

TEST(EngineioPayload, FailsOnTheFirstBadRecord) {
  EXPECT_EQ(decode_payload("4ok\x1e" "xyz").error(), DecodeError::unknown_type);
}

TEST(EngineioFrame, TextFramePrefixesMessageType) {
  auto f = Frame::text("hello");
  EXPECT_EQ(f.wire(), "4hello");
  EXPECT_FALSE(f.is_binary());
  EXPECT_EQ(Frame::text_wire("4x").wire(), "4x");
  EXPECT_EQ(Frame::control(PacketType::ping).wire(), "2");
  EXPECT_EQ(Frame::control(PacketType::pong, "probe").wire(), "3probe");
}

TEST(EngineioFrame, CopiesShareTheEncodedBytes) {
  auto a = Frame::text("shared");
  auto b = a;
  EXPECT_EQ(a.wire().data(), b.wire().data());
}

TEST(EngineioPayload, EncodesTextAndBinaryRecords) {
  std::vector<Frame> frames{Frame::text("hello"),
                            Frame::binary(std::string("\x01\x02\x03\x04", 4)),
                            Frame::control(PacketType::ping)};
  EXPECT_EQ(encode_payload(frames), "4hello\x1e" "bAQIDBA==\x1e" "2");
}

TEST(EngineioPayload, EncodesSingleFrameWithoutSeparator) {
  std::vector<Frame> frames{Frame::control(PacketType::noop)};
  EXPECT_EQ(encode_payload(frames), "6");
  EXPECT_EQ(encode_payload({}), "");
}

TEST(EngineioPayload, RoundTripsEncodedPayload) {
  std::vector<Frame> frames{Frame::text("a"), Frame::binary(std::string("\xff\x00", 2)),
                            Frame::text("")};
  auto r = decode_payload(encode_payload(frames));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].data, "a");
  EXPECT_EQ((*r)[1].data, std::string("\xff\x00", 2));
  EXPECT_TRUE((*r)[1].binary);
  EXPECT_EQ((*r)[2].data, "");
}

TEST(EngineioBase64, RoundTripsAllLengths) {
  std::string bytes;
  for (int n = 0; n < 20; ++n) {
    std::string out;
    ASSERT_TRUE(base64_decode(base64_encode(bytes), out)) << n;
    EXPECT_EQ(out, bytes);
    bytes.push_back(static_cast<char>(n * 37));
  }
}

}  // namespace
}  // namespace engineio
