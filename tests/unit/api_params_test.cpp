#include <gtest/gtest.h>

#include "api/params.hpp"

namespace {
http::Request post(std::string target, std::string body, std::string ct) {
  http::Request r{http::Verb::post, target, 11};
  if (!ct.empty()) r.set(http::Field::content_type, ct);
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}
}  // namespace

TEST(Params, ReadsFormBodiesWithPlusAsSpace) {
  auto p = api::Params::from_request(post("/x", "email=a%40b.co&name=John+Doe",
                                          "application/x-www-form-urlencoded"));
  ASSERT_TRUE(p);
  EXPECT_EQ(**p->str("email"), "a@b.co");
  EXPECT_EQ(**p->str("name"), "John Doe");
  EXPECT_EQ(p->location("name"), "body");
}

TEST(Params, ReadsTheQueryString) {
  auto p = api::Params::from_request(post("/x?email=a%40b.co&name=Jo", "", ""));
  ASSERT_TRUE(p);
  EXPECT_EQ(**p->str("email"), "a@b.co");
  EXPECT_EQ(p->location("email"), "query");
}

TEST(Params, ReadsJsonBodiesAndRejectsWrongTypes) {
  auto p = api::Params::from_request(
      post("/x", R"({"to_email":"a@b.co","message":5,"reply_to":null})", "application/json"));
  ASSERT_TRUE(p);
  EXPECT_EQ(**p->str("to_email"), "a@b.co");
  EXPECT_FALSE(p->str("message"));
  EXPECT_FALSE(*p->str("reply_to"));
}

TEST(Params, BodyWinsOverQuery) {
  auto p = api::Params::from_request(
      post("/x?name=Query", "name=Body", "application/x-www-form-urlencoded"));
  ASSERT_TRUE(p);
  EXPECT_EQ(**p->str("name"), "Body");
}

TEST(Params, RejectsMalformedJson) {
  auto p = api::Params::from_request(post("/x", "{\"a\":", "application/json"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, chat::Errc::invalid);
  EXPECT_FALSE(api::Params::from_request(post("/x", "[1,2]", "application/json")));
}

TEST(Params, ParsesIntegersStrictly) {
  auto p = api::Params::from_query("/x?skip=10&limit=abc&neg=-3");
  ASSERT_TRUE(p);
  EXPECT_EQ(**p->integer("skip"), 10);
  EXPECT_EQ(**p->integer("neg"), -3);
  EXPECT_FALSE(p->integer("limit"));
  EXPECT_FALSE(*p->integer("absent"));
}
