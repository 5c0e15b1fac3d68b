#include <gtest/gtest.h>

#include "http/response.hpp"
#include "http/router.hpp"

using http::Router;
using http::Verb;
using Kind = Router::Match::Kind;

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router r;
  auto list = r.add(Verb::get, "/api/conversations");
  auto msgs = r.add(Verb::get, "/api/conversations/{id}/messages");
  auto m = r.match(Verb::get, "/api/conversations/abc/messages");
  ASSERT_EQ(m.kind, Kind::found);
  EXPECT_EQ(m.route, msgs);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "abc");
  EXPECT_EQ(r.match(Verb::get, "/api/conversations").route, list);
  EXPECT_EQ(r.match(Verb::get, "/api/conversations/").route, list);  // trailing slash
}

TEST(Router, ReportsWrongMethodWithTheAllowedOnes) {
  Router r;
  r.add(Verb::post, "/api/auth/login");
  auto m = r.match(Verb::get, "/api/auth/login");
  EXPECT_EQ(m.kind, Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "POST");
}

TEST(Router, AnswersHeadWithGetRoutes) {
  Router r;
  r.add(Verb::get, "/health");
  EXPECT_EQ(r.match(Verb::head, "/health").kind, Kind::found);
}

TEST(Router, DoesNotMatchOtherPaths) {
  Router r;
  r.add(Verb::get, "/api/conversations/{id}/messages");
  EXPECT_EQ(r.match(Verb::get, "/api/conversations/abc").kind, Kind::not_found);
  EXPECT_EQ(r.match(Verb::get, "/api/conversations/abc/messages/x").kind, Kind::not_found);
  EXPECT_EQ(r.match(Verb::get, "/nope").kind, Kind::not_found);
}

TEST(TargetSplit, SeparatesPathAndQuery) {
  EXPECT_EQ(http::target_path("/a/b?x=1"), "/a/b");
  EXPECT_EQ(http::target_query("/a/b?x=1&y"), "x=1&y");
  EXPECT_EQ(http::target_query("/a/b"), "");
}
