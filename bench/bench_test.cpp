// Unit tests for the generator's pure parts: Engine.IO/Socket.IO framing, the latency histogram,
// message stamps, target parsing, partial merging, CPU use between barriers, HTTP response reading.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstring>

#include "common.hpp"
#include "histogram.hpp"
#include "http_client.hpp"
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

// The compact fast path and the general path agree: compact frames, and frames with spaces, an
// escaped quote in the name, a namespace or an ack id (which take the general path).
TEST(SioCodec, CompactEventsDecodeLikeTheGeneralPath) {
  struct Case {
    const char* text;
    const char* event;
    const char* data;
  };
  for (const Case& c : {Case{R"(42["new_message",{"message":"a\",b]"}])", "new_message",
                             R"({"message":"a\",b]"})"},
                        Case{R"(42["x",1])", "x", "1"},
                        Case{R"(42["online_users"])", "online_users", ""},
                        Case{R"(42[ "spaced" , {"a":1} ])", "spaced", R"({"a":1})"},
                        Case{R"(42["x" ,2])", "x", "2"},
                        Case{R"(42["q\"uote",3])", R"(q\"uote)", "3"},
                        Case{R"(42["x",[1,2] ])", "x", "[1,2]"}}) {
    auto f = sio::decode(c.text);
    ASSERT_EQ(f.kind, sio::Kind::sio_event) << c.text;
    EXPECT_EQ(f.event, c.event) << c.text;
    EXPECT_EQ(f.data, c.data) << c.text;
    EXPECT_EQ(f.nsp, "/") << c.text;
    EXPECT_EQ(f.ack_id, -1) << c.text;
  }
  auto acked = sio::decode(R"(421["x",1])");
  ASSERT_EQ(acked.kind, sio::Kind::sio_event);
  EXPECT_EQ(acked.ack_id, 1);
  EXPECT_EQ(acked.data, "1");
  EXPECT_NE(sio::decode(R"(42["unterminated)").kind, sio::Kind::sio_event);
  EXPECT_NE(sio::decode(R"(42["x",1)").kind, sio::Kind::sio_event);
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
  // No message member, or not an object.
  EXPECT_FALSE(parse_message(R"({"sender_email":"a@x.io","message_type":"text"})"));
  EXPECT_FALSE(parse_message(R"(["message","x"])"));
}

// Copies `bytes` into the reader as reads of at most `max_read` bytes (bounded by space() too),
// stopping at the first read that completes a response or fails.
ResponseReader::State feed(ResponseReader& r, std::string_view bytes, std::size_t max_read = SIZE_MAX) {
  auto st = ResponseReader::State::need_more;
  while (!bytes.empty()) {
    auto room = r.space();
    std::size_t n = std::min({bytes.size(), room.size(), max_read});
    std::memcpy(room.data(), bytes.data(), n);
    bytes.remove_prefix(n);
    st = r.commit(n);
    if (st != ResponseReader::State::need_more) break;
  }
  return st;
}

using RS = ResponseReader::State;

// The response just completed.
void expect_response(ResponseReader& r, int status, bool keep_alive, std::string_view body) {
  EXPECT_EQ(r.status(), status);
  EXPECT_EQ(r.keep_alive(), keep_alive);
  EXPECT_EQ(r.take_body(), body);
}

TEST(ResponseReader, ContentLengthAndLeftoverForTheNext) {
  ResponseReader r;
  // Two responses in one read: the second stays buffered.
  std::string two = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
  ASSERT_EQ(feed(r, two), RS::done);
  expect_response(r, 200, true, "{\"a\":1}");
  EXPECT_TRUE(r.in_progress());  // the next response's bytes are here
  ASSERT_EQ(r.parse(), RS::done);
  expect_response(r, 404, true, "no!");
  EXPECT_FALSE(r.in_progress());
  EXPECT_EQ(r.parse(), RS::need_more);
  EXPECT_EQ(r.eof(), RS::error);  // closed before any byte: not a response (the client retries)
}

TEST(ResponseReader, ChunkedWithExtensionsAndTrailer) {
  ResponseReader r;
  std::string res = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5;name=value\r\nhello\r\n1\r\n \r\nA;x;y=\"q\"\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  ASSERT_EQ(feed(r, res), RS::done);
  expect_response(r, 200, true, "hello 0123456789");
}

TEST(ResponseReader, SplitAtEveryByteBoundary) {
  const std::string chunked = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n"
                              "3;e=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  const std::string sized = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
  for (const auto& [res, body] : {std::pair{chunked, std::string("abc0123456789abcdef")},
                                  std::pair{sized, std::string("hello world")}}) {
    for (std::size_t cut = 0; cut <= res.size(); ++cut) {
      ResponseReader r;
      auto first = feed(r, std::string_view(res).substr(0, cut));
      if (cut < res.size()) {
        ASSERT_EQ(first, RS::need_more) << "cut " << cut;
        ASSERT_EQ(feed(r, std::string_view(res).substr(cut)), RS::done) << "cut " << cut;
      } else {
        ASSERT_EQ(first, RS::done);
      }
      EXPECT_EQ(r.take_body(), body) << "cut " << cut;
    }
    ResponseReader one_by_one;  // every read a single byte
    ASSERT_EQ(feed(one_by_one, res, 1), RS::done);
    EXPECT_EQ(one_by_one.take_body(), body);
  }
}

TEST(ResponseReader, ConnectionCloseAndBodyUntilEof) {
  ResponseReader r;
  ASSERT_EQ(feed(r, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"), RS::done);
  expect_response(r, 200, false, "ok");
  ResponseReader old;
  ASSERT_EQ(feed(old, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), RS::done);
  expect_response(old, 200, false, "ok");
  ResponseReader until_eof;  // neither Content-Length nor chunked: the body ends with the connection
  ASSERT_EQ(feed(until_eof, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"), RS::need_more);
  ASSERT_EQ(until_eof.eof(), RS::done);
  expect_response(until_eof, 200, false, "all of it");
  ResponseReader truncated;
  ASSERT_EQ(feed(truncated, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"), RS::need_more);
  EXPECT_TRUE(truncated.in_progress());
  EXPECT_EQ(truncated.eof(), RS::error);
}

TEST(ResponseReader, BodyBiggerThanTheBuffer) {
  std::string body(200 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  std::string res = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ResponseReader r;  // 64 KiB buffer: several reads
  ASSERT_EQ(feed(r, res), RS::done);
  EXPECT_EQ(r.take_body(), body);
  // The same body chunked in 70 000-byte chunks, then a second response on the same reader.
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t i = 0; i < body.size(); i += 70000) {
    auto part = body.substr(i, 70000);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", part.size());
    chunked += std::string(size) + "\r\n" + part + "\r\n";
  }
  chunked += "0\r\n\r\n";
  ASSERT_EQ(feed(r, chunked), RS::done);
  EXPECT_EQ(r.take_body(), body);
}

TEST(ResponseReader, HeaderBiggerThanTheBufferGrowsIt) {
  ResponseReader r(64);
  std::string res = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(300, 'v') + "\r\nContent-Length: 1\r\n\r\n!";
  ASSERT_EQ(feed(r, res), RS::done);
  EXPECT_EQ(r.take_body(), "!");
}

TEST(ResponseReader, RejectsGarbageAndStartsOverAfterReset) {
  ResponseReader r;
  EXPECT_EQ(feed(r, "SSH-2.0-OpenSSH\r\n\r\n"), RS::error);
  EXPECT_FALSE(r.error().empty());
  r.reset();
  ASSERT_EQ(feed(r, "HTTP/1.1 204 No Content\r\n\r\n"), RS::done);
  expect_response(r, 204, true, "");
}

}  // namespace
}  // namespace nb
