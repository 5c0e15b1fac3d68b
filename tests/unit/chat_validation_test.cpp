#include <gtest/gtest.h>

#include "chat/presence.hpp"
#include "chat/validation.hpp"

using namespace chat;

TEST(NormalizeEmail, TrimsAndLowerCases) {
  auto e = normalize_email("  John.Doe@Example.COM ");
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "john.doe@example.com");
}

TEST(NormalizeEmail, RejectsInvalidAddresses) {
  for (const char* bad : {"", "   ", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a b@c.com",
                          "a@b..com", "a@.com", "a@b.com."}) {
    auto e = normalize_email(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, Errc::invalid);
    EXPECT_EQ(e.error().field, "email");
  }
}

TEST(ValidateName, AcceptsOneToHundredCharacters) {
  EXPECT_TRUE(validate_name("J"));
  EXPECT_TRUE(validate_name(std::string(100, 'x')));
  std::string hundred_accents;
  for (int i = 0; i < 100; ++i) hundred_accents += "\xc3\xa9";
  EXPECT_TRUE(validate_name(hundred_accents));
  EXPECT_FALSE(validate_name(""));
  EXPECT_FALSE(validate_name("  "));
  EXPECT_FALSE(validate_name(std::string(101, 'x')));
}

TEST(ValidateProfileImage, AcceptsOnlyHttpAndHttpsUrls) {
  EXPECT_TRUE(validate_profile_image("https://example.com/p.jpg"));
  EXPECT_TRUE(validate_profile_image("http://example.com"));
  auto none = validate_profile_image(std::nullopt);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  for (const char* bad : {"ftp://example.com/x", "javascript:alert(1)", "example.com/p.jpg",
                          "https://", "not a url"})
    EXPECT_FALSE(validate_profile_image(std::string_view(bad))) << bad;
}

TEST(ValidateMessageBody, LimitsCharactersNotBytes) {
  std::string s;
  for (int i = 0; i < 4096; ++i) s += "\xc3\xa9";
  EXPECT_TRUE(validate_message_body(s, 4096));
  EXPECT_FALSE(validate_message_body(s + "a", 4096));
  EXPECT_FALSE(validate_message_body("", 4096));
  EXPECT_FALSE(validate_message_body("  \n ", 4096));
  EXPECT_FALSE(validate_message_body("\xff", 4096));
}

TEST(ValidateMessageType, DefaultsToTextAndRejectsUnknownTypes) {
  EXPECT_EQ(*validate_message_type(std::nullopt), MessageType::text);
  EXPECT_EQ(*validate_message_type("image"), MessageType::image);
  EXPECT_EQ(*validate_message_type("file"), MessageType::file);
  EXPECT_FALSE(validate_message_type("video"));
}

TEST(ParseConversationId, MapsMalformedIdsToNotFound) {
  auto r = parse_conversation_id("nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conversation_not_found);
}

TEST(LocalPresence, IsOnlineWhileAnySocketIsConnected) {
  LocalPresence p;
  EXPECT_FALSE(p.last_change("a@x.io"));
  EXPECT_TRUE(p.socket_connected("a@x.io", 10));
  EXPECT_FALSE(p.socket_connected("a@x.io", 20));  // second tab: not a new arrival
  EXPECT_TRUE(p.is_online("a@x.io"));
  EXPECT_EQ(p.last_change("a@x.io"), 10);
  EXPECT_FALSE(p.socket_disconnected("a@x.io", 30));  // one of two tabs closed
  EXPECT_TRUE(p.is_online("a@x.io"));
  EXPECT_TRUE(p.socket_disconnected("a@x.io", 40));
  EXPECT_FALSE(p.is_online("a@x.io"));
  EXPECT_EQ(p.last_change("a@x.io"), 40);
  EXPECT_FALSE(p.socket_disconnected("a@x.io", 50));  // no socket left to close
}
