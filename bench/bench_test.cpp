// Unit tests for the generator's pure parts: Engine.IO/Socket.IO framing, the latency histogram,
// message stamps, target parsing, partial merging, CPU use between barriers.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common.hpp"
#include "histogram.hpp"
#include "result.hpp"
#include "scenario_util.hpp"
#include "sio_codec.hpp"

namespace nb {
namespace {

TEST(SioCodec, DecodesEngineIoOpenAndPing) {
  auto f = sio::decode(R"(0{"sid":"abc","pingInterval":25000})");
  EXPECT_EQ(f.kind, sio::Kind::eio_open);
  EXPECT_EQ(f.json, R"({"sid":"abc","pingInterval":25000})");
  EXPECT_EQ(sio::decode("2").kind, sio::Kind::eio_ping);
  EXPECT_EQ(sio::decode("6").kind, sio::Kind::eio_noop);
  EXPECT_EQ(sio::decode("").kind, sio::Kind::invalid);
}

TEST(SioCodec, DecodesConnectAckAndError) {
  auto ack = sio::decode(R"(40{"sid":"x1"})");
  EXPECT_EQ(ack.kind, sio::Kind::sio_connect);
  EXPECT_EQ(ack.nsp, "/");
  EXPECT_EQ(ack.json, R"({"sid":"x1"})");
  auto err = sio::decode(R"(44{"message":"User not authenticated"})");
  EXPECT_EQ(err.kind, sio::Kind::sio_connect_error);
  EXPECT_EQ(err.json, R"({"message":"User not authenticated"})");
}

TEST(SioCodec, SplitsEventNameAndData) {
  auto f = sio::decode(R"(42["new_message",{"message":"a,b]"}])");
  ASSERT_EQ(f.kind, sio::Kind::sio_event);
  EXPECT_EQ(f.event, "new_message");
  EXPECT_EQ(f.data, R"({"message":"a,b]"})");
  auto g = sio::decode(R"(42["get_online_users"])");
  ASSERT_EQ(g.kind, sio::Kind::sio_event);
  EXPECT_EQ(g.event, "get_online_users");
  EXPECT_TRUE(g.data.empty());
}

TEST(SioCodec, ReadsNamespaceAndAckId) {
  auto f = sio::decode(R"(42/chat,17["x",1])");
  ASSERT_EQ(f.kind, sio::Kind::sio_event);
  EXPECT_EQ(f.nsp, "/chat");
  EXPECT_EQ(f.ack_id, 17);
  EXPECT_EQ(f.event, "x");
  EXPECT_EQ(f.data, "1");
}

TEST(SioCodec, EncodesConnectAndEvents) {
  EXPECT_EQ(sio::encode_connect(R"({"token":"t"})"), R"(40{"token":"t"})");
  EXPECT_EQ(sio::encode_event("typing_start", R"({"conversation_id":"c"})"),
            R"(42["typing_start",{"conversation_id":"c"}])");
  EXPECT_EQ(sio::encode_event("get_online_users", ""), R"(42["get_online_users"])");
}

TEST(Histogram, IndexesRoundTripWithinOnePercent) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 1000ull, 123456ull, 987654321ull, 1ull << 40}) {
    int i = Histogram::index_of(v);
    EXPECT_LE(Histogram::lowest_of(i), v);
    EXPECT_GE(Histogram::highest_of(i), v);
    EXPECT_LE(Histogram::highest_of(i) - Histogram::lowest_of(i), v / 64 + 1);
  }
}

TEST(Histogram, QuantilesAndMergeAreConsistent) {
  Histogram a, b;
  for (int i = 1; i <= 1000; ++i) a.record(i * 1000);
  for (int i = 1001; i <= 2000; ++i) b.record(i * 1000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2000u);
  EXPECT_NEAR(static_cast<double>(a.quantile(0.5)), 1'000'000, 10'000);
  EXPECT_NEAR(static_cast<double>(a.quantile(0.99)), 1'980'000, 20'000);
  EXPECT_EQ(a.max(), 2'000'000);
  EXPECT_EQ(a.min(), 1000);
  auto back = Histogram::from_json(boost::json::parse(boost::json::serialize(a.to_json())));
  EXPECT_EQ(back.count(), a.count());
  EXPECT_EQ(back.quantile(0.9), a.quantile(0.9));
}

TEST(Partial, MergesSumsMaximaAndHistograms) {
  Partial x, y;
  x.add("n", 2);
  y.add("n", 3);
  x.set_max("t", 1.5);
  y.set_max("t", 2.5);
  x.h("l").record(10);
  y.h("l").record(20);
  auto z = Partial::from_json(boost::json::parse(boost::json::serialize(y.to_json())).as_object());
  x.merge(z);
  EXPECT_EQ(x.get("n"), 5);
  EXPECT_EQ(x.get("t"), 2.5);
  EXPECT_EQ(x.h("l").count(), 2u);
}

TEST(Partial, CpuBetweenTwoBarriers) {
  Partial p;
  p.set_max("cpu_s.before", 1.25);  // the server's, read by the parent
  p.set_max("cpu_s.connected", 2.0);
  p.add("gen_cpu_s.before", 0.5);   // each generator process's own, summed
  p.add("gen_cpu_s.before", 0.25);
  p.add("gen_cpu_s.connected", 1.0);
  p.add("gen_cpu_s.connected", 1.5);
  CpuUse u = cpu_between(p, "before", "connected");
  EXPECT_DOUBLE_EQ(u.server_s, 0.75);
  EXPECT_DOUBLE_EQ(u.generator_s, 1.75);
  CpuUse none = cpu_between(p, "before", "held");
  EXPECT_EQ(none.server_s, -1);
  EXPECT_EQ(none.generator_s, -1);
  boost::json::object res;
  put_cpu_between(res, p, "before", "connected", 0.5);
  EXPECT_EQ(res.at("server_cpu_cores").as_double(), 1.5);
  EXPECT_EQ(res.at("generator_cpu_cores").as_double(), 3.5);
}

TEST(Stamp, RoundTripsAndPads) {
  auto s = stamp_text(3, 42, 123456789, 40);
  EXPECT_EQ(s.size(), 40u);
  std::uint64_t a = 0, b = 0;
  std::int64_t c = 0;
  ASSERT_TRUE(parse_stamp(s, a, b, c));
  EXPECT_EQ(a, 3u);
  EXPECT_EQ(b, 42u);
  EXPECT_EQ(c, 123456789);
  EXPECT_FALSE(parse_stamp("hello", a, b, c));
}

TEST(Target, AcceptsOnlyLoopback) {
  auto t = parse_target("http://127.0.0.1:8100");
  EXPECT_EQ(t.endpoint.port(), 8100);
  EXPECT_EQ(t.host_header, "127.0.0.1:8100");
  EXPECT_EQ(parse_target("http://localhost:9000/").endpoint.port(), 9000);
  EXPECT_NO_THROW(parse_target("http://[::1]:8000"));
  EXPECT_THROW(parse_target("http://10.0.0.1:8000"), std::invalid_argument);
  EXPECT_THROW(parse_target("http://example.com:80"), std::invalid_argument);
  EXPECT_THROW(parse_target("https://127.0.0.1:8000"), std::invalid_argument);
}

TEST(Message, ParsesNewMessagePayload) {
  auto m = parse_message(R"({"id":"1","sender_email":"a@example.com","message":"1:2:3 xx"})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "1:2:3 xx");
  EXPECT_EQ(m->sender, "a@example.com");
  EXPECT_EQ(parse_email(R"({"email":"p@example.com"})").value_or(""), "p@example.com");
}

TEST(Message, FallsBackToTheFullParserForEscapesSpacesAndDecoys) {
  // Escapes in the value.
  auto esc = parse_message(R"({"sender_email":"a@x.io","message":"say \"hi\" \u0041"})");
  ASSERT_TRUE(esc);
  EXPECT_EQ(esc->text, "say \"hi\" A");
  // A decoy key inside another string value, then the real member.
  auto decoy = parse_message(
      R"({"sender_name":"x\",\"message\":\"fake","sender_email":"a@x.io","message":"1:2:3"})");
  ASSERT_TRUE(decoy);
  EXPECT_EQ(decoy->text, "1:2:3");
  // Whitespace between tokens (not what servers send, still JSON).
  auto spaced = parse_message(R"({ "sender_email" : "a@x.io", "message" : "1:2:3" })");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->text, "1:2:3");
  EXPECT_EQ(spaced->sender, "a@x.io");
  // No message member, or not an object.
  EXPECT_FALSE(parse_message(R"({"sender_email":"a@x.io","message_type":"text"})"));
  EXPECT_FALSE(parse_message(R"(["message","x"])"));
}

}  // namespace
}  // namespace nb
