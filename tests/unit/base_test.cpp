#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <set>
#include <thread>

#include "base/clock.hpp"
#include "base/json_text.hpp"
#include "base/object_id.hpp"
#include "base/utf8.hpp"

TEST(ObjectId, RendersTwentyFourLowercaseHexCharacters) {
  auto hex = base::ObjectId::generate().hex();
  ASSERT_EQ(hex.size(), 24u);
  for (char c : hex) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << hex;
}

TEST(ObjectId, StartsWithTheBigEndianTimestamp) {
  auto id = base::ObjectId::generate(0x64f12345);
  EXPECT_EQ(id.hex().substr(0, 8), "64f12345");
  EXPECT_EQ(id.seconds(), 0x64f12345u);
}

TEST(ObjectId, IsUniqueAcrossThreads) {
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) per[t].push_back(base::ObjectId::generate().hex());
    });
  for (auto& t : ts) t.join();
  std::set<std::string> all;
  for (auto& v : per) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 80000u);
}

TEST(ObjectId, ParsesItsOwnRenderingAndRejectsOtherStrings) {
  auto id = base::ObjectId::generate();
  auto back = base::ObjectId::parse(id.hex());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, id);
  EXPECT_FALSE(base::ObjectId::parse("64f1234567890abcdef1234"));    // 23 chars
  EXPECT_FALSE(base::ObjectId::parse("64f1234567890abcdef123456"));  // 25 chars
  EXPECT_FALSE(base::ObjectId::parse("64f1234567890abcdef1234g"));
  EXPECT_FALSE(base::ObjectId::parse(""));
}

TEST(ObjectId, ParsesUpperCaseAndRejectsEveryNonHexByteAtEveryPosition) {
  const std::string hex = "0123456789abcdefABCDEF01";
  auto id = base::ObjectId::parse(hex);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->hex(), "0123456789abcdefabcdef01");
  for (std::size_t pos = 0; pos < hex.size(); ++pos) {
    for (int c = 0; c < 256; ++c) {
      const bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      std::string h = hex;
      h[pos] = static_cast<char>(c);
      EXPECT_EQ(base::ObjectId::parse(h).has_value(), is_hex) << "byte " << c << " at " << pos;
    }
  }
}

// json_text::str must match boost::json::serialize byte for byte, whatever the position of the
// byte that needs escaping relative to its 8-byte word scan.
TEST(JsonText, EscapesLikeBoostJsonAtEveryPositionAndForEveryByte) {
  for (std::size_t len = 0; len <= 19; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string s(len, 'a');
        s[pos] = static_cast<char>(c);
        if (c >= 0x80) s += "\xc3\xa9";  // keep some multi-byte UTF-8 around high bytes
        std::string out;
        base::json_text::str(out, s);
        ASSERT_EQ(out, boost::json::serialize(boost::json::string_view(s.data(), s.size())))
            << "len " << len << " byte " << c << " at " << pos;
      }
    }
  }
  std::string out;
  base::json_text::str(out, "");
  EXPECT_EQ(out, "\"\"");
}

TEST(Clock, FormatsIsoUtcWithMilliseconds) {
  EXPECT_EQ(base::format_iso8601(1701945000123), "2023-12-07T10:30:00.123Z");
  EXPECT_EQ(base::format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(base::format_iso8601(1709251199999), "2024-02-29T23:59:59.999Z");  // leap day
  EXPECT_EQ(base::format_iso8601(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(base::format_iso8601(4102444800000), "2100-01-01T00:00:00.000Z");
  EXPECT_EQ(base::format_iso8601(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(base::utf8_length("abc"), 3u);
  EXPECT_EQ(base::utf8_length("\xc3\xa9t\xc3\xa9"), 3u);       // été
  EXPECT_EQ(base::utf8_length("\xf0\x9f\x98\x80"), 1u);        // 😀
}

TEST(Utf8, RejectsInvalidSequences) {
  EXPECT_FALSE(base::utf8_length("\xff"));
  EXPECT_FALSE(base::utf8_length("\xc3"));                 // truncated
  EXPECT_FALSE(base::utf8_length("\xc0\xaf"));             // overlong
  EXPECT_FALSE(base::utf8_length("\xed\xa0\x80"));         // surrogate
  EXPECT_FALSE(base::utf8_length("\xf4\x90\x80\x80"));     // > U+10FFFF
}

TEST(Utf8, TrimsAsciiWhitespace) {
  EXPECT_EQ(base::trim("  a b \t\n"), "a b");
  EXPECT_EQ(base::trim("   "), "");
}

TEST(RandomToken, IsUrlSafeAndDiffersEachTime) {
  auto a = base::random_token(32), b = base::random_token(32);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}
