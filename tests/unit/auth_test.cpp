#include <gtest/gtest.h>

#include "auth/token_service.hpp"

using auth::TokenError;
using auth::TokenService;

namespace {
// Builds header.payload.signature-of-svc for arbitrary JSON header/payload.
std::string forge(const std::string& header, const std::string& payload, const std::string& sig) {
  return auth::base64url_encode(header) + "." + auth::base64url_encode(payload) + "." + sig;
}
}  // namespace

TEST(TokenService, IssuesTokensItVerifies) {
  TokenService svc("secret-secret-secret", 3600);
  auto tok = svc.issue("a@example.com", 1000);
  auto c = svc.verify(tok, 1001);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->subject, "a@example.com");
  EXPECT_EQ(c->issued_at, 1000);
  EXPECT_EQ(c->expires_at, 4600);
}

TEST(TokenService, MatchesAKnownHs256Vector) {
  // Signed with python3-jwt: jwt.encode({"sub":"a@b.co","iat":1,"exp":4102444800}, "k"*32)
  TokenService svc(std::string(32, 'k'), 60);
  auto tok = svc.issue("a@b.co", 1);
  EXPECT_EQ(tok.substr(0, tok.find('.')), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
}

TEST(TokenService, RejectsExpiredTokens) {
  TokenService svc("s", 10);
  auto tok = svc.issue("a@b.co", 100);
  EXPECT_TRUE(svc.verify(tok, 109));
  auto r = svc.verify(tok, 110);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), TokenError::expired);
}

TEST(TokenService, RejectsAnotherSecretsSignature) {
  TokenService a("secret-a", 60), b("secret-b", 60);
  auto r = b.verify(a.issue("x@y.z", 1), 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), TokenError::bad_signature);
}

TEST(TokenService, RejectsAlgNoneAndOtherAlgorithms) {
  TokenService svc("s", 60);
  auto none = forge(R"({"alg":"none","typ":"JWT"})", R"({"sub":"x@y.z","exp":9999999999})", "");
  EXPECT_EQ(svc.verify(none, 1).error(), TokenError::unsupported_algorithm);
  auto hs512 = forge(R"({"alg":"HS512"})", R"({"sub":"x@y.z","exp":9999999999})", "abc");
  EXPECT_EQ(svc.verify(hs512, 1).error(), TokenError::unsupported_algorithm);
}

TEST(TokenService, RejectsMalformedTokens) {
  TokenService svc("s", 60);
  for (const char* t : {"", "abc", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.", "e30.e30.e30"})
    EXPECT_FALSE(svc.verify(t, 1)) << t;
}

TEST(TokenService, RejectsTamperedPayload) {
  TokenService svc("s", 60);
  auto tok = svc.issue("a@b.co", 1);
  auto d1 = tok.find('.'), d2 = tok.rfind('.');
  auto evil = tok.substr(0, d1 + 1) + auth::base64url_encode(R"({"sub":"admin@b.co","exp":99999})") +
              tok.substr(d2);
  EXPECT_EQ(svc.verify(evil, 2).error(), TokenError::bad_signature);
}

TEST(Base64Url, RoundTripsEveryLength) {
  std::string s;
  for (int i = 0; i < 40; ++i) {
    std::string out;
    ASSERT_TRUE(auth::base64url_decode(auth::base64url_encode(s), out));
    EXPECT_EQ(out, s);
    s.push_back(static_cast<char>(i * 37));
  }
}

TEST(TokenService, VerifiedTokenCacheIsPerService) {
  TokenService a("secret-a", 3600);
  TokenService b("secret-b", 3600);
  auto tok = a.issue("a@b.co", 100);
  ASSERT_TRUE(a.verify(tok, 101));  // now cached on this thread for `a`
  ASSERT_TRUE(a.verify(tok, 102));
  auto r = b.verify(tok, 102);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), TokenError::bad_signature);
  // A token `a` accepted is still refused once expired, cached or not.
  auto late = a.verify(tok, 100 + 3600);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), TokenError::expired);
}

TEST(TokenService, ReusedHmacContextSignsLikeAFreshOne) {
  // Interleave two services on one thread: each signature must match a fresh service's.
  TokenService a("k1", 60), b("k2", 60);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.issue("x@y.z", 5), TokenService("k1", 60).issue("x@y.z", 5));
    EXPECT_EQ(b.issue("x@y.z", 5), TokenService("k2", 60).issue("x@y.z", 5));
  }
  EXPECT_NE(a.issue("x@y.z", 5), b.issue("x@y.z", 5));
}
