// Socket.IO v5 codec and binary assembler on plain strings.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "socketio/packet.hpp"

namespace socketio {
namespace {

namespace json = boost::json;

std::string roundtrip(std::string_view s) {
  auto p = decode_packet(s);
  EXPECT_TRUE(p.ok()) << s;
  return p.ok() ? encode_packet(*p) : std::string();
}

TEST(SocketioPacket, DecodesConnectToMainNamespace) {
  auto p = decode_packet("0");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->type, PacketType::connect);
  EXPECT_EQ(p->nsp, "/");
  EXPECT_TRUE(p->data.is_null());
}

TEST(SocketioPacket, DecodesConnectWithAuthPayload) {
  auto p = decode_packet(R"(0{"token":"123"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(json::serialize(p->data), R"({"token":"123"})");
}

TEST(SocketioPacket, AcceptsNamespaceWithOrWithoutTrailingComma) {
  EXPECT_EQ(decode_packet("0/custom")->nsp, "/custom");
  EXPECT_EQ(decode_packet("0/custom,")->nsp, "/custom");
  auto p = decode_packet(R"(0/custom,{"token":"abc"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->nsp, "/custom");
  EXPECT_EQ(p->data.at("token").as_string(), "abc");
}

TEST(SocketioPacket, DecodesEventWithAckId) {
  auto p = decode_packet(R"(42456["message-with-ack",1,"2",{"3":[false]}])");
  ASSERT_FALSE(p.ok());  // "4" is CONNECT_ERROR here: the Engine.IO prefix is not part of it
  auto q = decode_packet(R"(2456["message-with-ack",1,"2",{"3":[false]}])");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->type, PacketType::event);
  EXPECT_EQ(q->id, 456u);
  EXPECT_EQ(q->data.as_array().size(), 4u);
}

TEST(SocketioPacket, ParsesLargeAckIds) {
  auto p = decode_packet(R"(29007199254740993["x"])");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->id, 9007199254740993ull);
  EXPECT_FALSE(decode_packet(R"(299999999999999999999999["x"])").ok());
}

TEST(SocketioPacket, ReserializesCompactlyPreservingKeyOrder) {
  EXPECT_EQ(roundtrip(R"(2["message", 1, "2", {"z":1, "a":[true, null]}])"),
            R"(2["message",1,"2",{"z":1,"a":[true,null]}])");
  EXPECT_EQ(roundtrip(R"(3/admin,13["bar"])"), R"(3/admin,13["bar"])");
  EXPECT_EQ(roundtrip("1/admin,"), "1/admin,");
  EXPECT_EQ(roundtrip("1"), "1");
}

TEST(SocketioPacket, DecodesBinaryEventHeader) {
  auto p = decode_packet(R"(52-/chat,7["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->type, PacketType::binary_event);
  EXPECT_EQ(p->attachments, 2u);
  EXPECT_EQ(p->nsp, "/chat");
  EXPECT_EQ(p->id, 7u);
  EXPECT_EQ(encode_packet(*p),
            R"(52-/chat,7["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
}

TEST(SocketioPacket, RejectsUnknownType) {
  EXPECT_EQ(decode_packet("abc").error(), ParseError::unknown_type);
  EXPECT_EQ(decode_packet("7").error(), ParseError::unknown_type);
  EXPECT_EQ(decode_packet("").error(), ParseError::empty);
}

TEST(SocketioPacket, RejectsEventsThatAreNotNonEmptyArraysWithAName) {
  EXPECT_EQ(decode_packet("2{}").error(), ParseError::invalid_payload);
  EXPECT_EQ(decode_packet("2[]").error(), ParseError::invalid_payload);
  EXPECT_EQ(decode_packet("2").error(), ParseError::invalid_payload);
  EXPECT_EQ(decode_packet("2[{}]").error(), ParseError::invalid_payload);
  EXPECT_EQ(decode_packet(R"(2["disconnect"])").error(), ParseError::invalid_payload);
  EXPECT_TRUE(decode_packet("2[1]").ok());
}

TEST(SocketioPacket, RejectsBadAckIdAsInvalidJson) {
  EXPECT_EQ(decode_packet(R"(2abc["message-with-ack",1])").error(), ParseError::bad_json);
  EXPECT_EQ(decode_packet(R"(2["a"]garbage)").error(), ParseError::bad_json);
}

TEST(SocketioPacket, ValidatesPayloadShapePerType) {
  EXPECT_EQ(decode_packet(R"(0/custom,"str")").error(), ParseError::invalid_payload);
  EXPECT_EQ(decode_packet(R"(1{"a":1})").error(), ParseError::invalid_payload);
  EXPECT_EQ(decode_packet(R"(3{"a":1})").error(), ParseError::invalid_payload);
  EXPECT_TRUE(decode_packet("3[]").ok());
  EXPECT_TRUE(decode_packet(R"(4{"message":"x"})").ok());
  EXPECT_TRUE(decode_packet(R"(4"x")").ok());
  EXPECT_EQ(decode_packet("4[]").error(), ParseError::invalid_payload);
}

TEST(SocketioPacket, RejectsMalformedOrExcessiveAttachmentCounts) {
  EXPECT_EQ(decode_packet(R"(5["a"])").error(), ParseError::bad_attachments);
  EXPECT_EQ(decode_packet(R"(5x-["a"])").error(), ParseError::bad_attachments);
  EXPECT_EQ(decode_packet(R"(5-["a"])").error(), ParseError::bad_attachments);
  EXPECT_EQ(decode_packet(R"(511-["a"])").error(), ParseError::bad_attachments);
  EXPECT_TRUE(decode_packet(R"(510-["a"])").ok());
}

TEST(SocketioEncode, EncodesEventFramesWithEngineioPrefix) {
  auto frames = encode_frames(PacketType::event, "/", std::nullopt, "auth",
                              Payload(json::array{json::object{{"token", "123"}}}));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].wire(), R"(42["auth",{"token":"123"}])");
}

TEST(SocketioEncode, EncodesAckWithNamespaceAndId) {
  auto frames = encode_frames(PacketType::ack, "/custom", 456, std::nullopt,
                              Payload(json::array{1, "2"}));
  EXPECT_EQ(frames[0].wire(), R"(43/custom,456[1,"2"])");
}

TEST(SocketioEncode, EncodesEventWithNoArgs) {
  auto frames = encode_frames(PacketType::event, "/", std::nullopt, "ping", Payload());
  EXPECT_EQ(frames[0].wire(), R"(42["ping"])");
}

TEST(SocketioEncode, TurnsPayloadsWithAttachmentsIntoBinaryPackets) {
  Payload p;
  p.args.push_back(p.add_binary("\x01\x02\x03"));
  p.args.push_back(p.add_binary("\x04\x05\x06"));
  auto frames = encode_frames(PacketType::event, "/", std::nullopt, "message-back", p);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].wire(),
            R"(452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_TRUE(frames[1].is_binary());
  EXPECT_EQ(frames[1].wire(), "\x01\x02\x03");
  auto ack = encode_frames(PacketType::ack, "/", 789, std::nullopt, p);
  EXPECT_EQ(ack[0].wire(),
            R"(462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
}

TEST(SocketioEncode, EscapesEventNames) {
  auto frames = encode_frames(PacketType::event, "/", std::nullopt, "a\"b", Payload());
  EXPECT_EQ(frames[0].wire(), R"(42["a\"b"])");
}

TEST(SocketioEncode, SendsPreSerialisedArgumentsVerbatim) {
  auto p = Payload::serialized(R"({"ok":true,"n":[1,2]},"x")");
  auto ev = encode_frames(PacketType::event, "/", std::nullopt, "new_message", p);
  EXPECT_EQ(ev[0].wire(), R"(42["new_message",{"ok":true,"n":[1,2]},"x"])");
  auto ack = encode_frames(PacketType::ack, "/chat", 7, std::nullopt, p);
  EXPECT_EQ(ack[0].wire(), R"(43/chat,7[{"ok":true,"n":[1,2]},"x"])");
  // The same values as a JSON array encode identically.
  auto tree = encode_frames(PacketType::event, "/", std::nullopt, "new_message",
                            Payload(json::array{json::object{{"ok", true}, {"n", json::array{1, 2}}},
                                                "x"}));
  EXPECT_EQ(tree[0].wire(), ev[0].wire());
}

TEST(SocketioPayload, ResolvesPlaceholdersToAttachments) {
  Payload p;
  auto ph = p.add_binary("xyz");
  EXPECT_EQ(json::serialize(ph), R"({"_placeholder":true,"num":0})");
  ASSERT_NE(p.binary(ph), nullptr);
  EXPECT_EQ(*p.binary(ph), "xyz");
  EXPECT_EQ(p.binary(json::value(1)), nullptr);
  EXPECT_EQ(p.binary(json::parse(R"({"_placeholder":true,"num":3})")), nullptr);
}

TEST(SocketioAssembler, CompletesTextPacketsAtOnce) {
  Assembler a;
  auto r = a.on_text(R"(2["x"])");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->packet.type, PacketType::event);
  EXPECT_FALSE(a.pending());
}

TEST(SocketioAssembler, CollectsAnnouncedAttachments) {
  Assembler a;
  auto r = a.on_text(
      R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_TRUE(a.pending());
  r = a.on_binary("\x01\x02\x03");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  r = a.on_binary("\x04\x05\x06");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  ASSERT_EQ((*r)->attachments.size(), 2u);
  EXPECT_EQ((*r)->attachments[1], "\x04\x05\x06");
  EXPECT_FALSE(a.pending());
}

TEST(SocketioAssembler, ZeroAttachmentBinaryPacketIsCompleteAtOnce) {
  Assembler a;
  auto r = a.on_text(R"(50-["x"])");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has_value());
}

TEST(SocketioAssembler, RejectsOutOfOrderData) {
  Assembler a;
  EXPECT_EQ(a.on_binary("x").error(), ParseError::unexpected_binary);
  ASSERT_TRUE(a.on_text(R"(51-["x",{"_placeholder":true,"num":0}])").ok());
  EXPECT_EQ(a.on_text(R"(2["x"])").error(), ParseError::expected_binary);
}

TEST(SocketioAssembler, RejectsPlaceholdersBeyondTheAttachments) {
  Assembler a;
  ASSERT_TRUE(a.on_text(R"(51-["x",{"_placeholder":true,"num":1}])").ok());
  EXPECT_EQ(a.on_binary("x").error(), ParseError::bad_placeholder);
}

}  // namespace
}  // namespace socketio
