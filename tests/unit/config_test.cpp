#include <gtest/gtest.h>

#include <map>

#include "config/config.hpp"

namespace {
config::ParseOutcome parse(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "natter");
  return config::parse(static_cast<int>(args.size()), args.data(),
                       [env](const char* n) -> std::optional<std::string> {
                         auto it = env.find(n);
                         if (it == env.end()) return std::nullopt;
                         return it->second;
                       });
}
}  // namespace

TEST(Config, HasDocumentedDefaults) {
  auto o = parse({});
  ASSERT_TRUE(o.config);
  EXPECT_EQ(o.config->host, "127.0.0.1");
  EXPECT_EQ(o.config->port, 8000u);
  EXPECT_EQ(o.config->jwt_expire_minutes, 1440);
  EXPECT_EQ(o.config->cors_origins, std::vector<std::string>{"http://localhost:3000"});
  EXPECT_TRUE(o.config->jwt_secret.empty());
}

TEST(Config, FlagsWinOverNatterEnvWhichWinsOverLegacyEnv) {
  auto o = parse({"--port", "9001"}, {{"NATTER_PORT", "9002"}, {"PORT", "9003"}});
  EXPECT_EQ(o.config->port, 9001u);
  o = parse({}, {{"NATTER_PORT", "9002"}, {"PORT", "9003"}});
  EXPECT_EQ(o.config->port, 9002u);
  o = parse({}, {{"PORT", "9003"}, {"JWT_SECRET_KEY", "k"}, {"CORS_ORIGINS", "http://a, http://b"}});
  EXPECT_EQ(o.config->port, 9003u);
  EXPECT_EQ(o.config->jwt_secret, "k");
  EXPECT_EQ(o.config->cors_origins, (std::vector<std::string>{"http://a", "http://b"}));
}

TEST(Config, RejectsBadValuesWithAClearMessage) {
  auto o = parse({"--port", "abc"});
  EXPECT_FALSE(o.config);
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.output.find("--port"), std::string::npos);
  o = parse({}, {{"NATTER_PORT", "x"}});
  EXPECT_FALSE(o.config);
  EXPECT_NE(o.output.find("NATTER_PORT"), std::string::npos);
}

TEST(Config, HelpListsEveryOptionWithItsDefault) {
  auto o = parse({"--help"});
  EXPECT_FALSE(o.config);
  EXPECT_EQ(o.exit_code, 0);
  for (const char* f : {"--host", "--port", "--data-dir", "--threads", "--jwt-secret",
                        "--jwt-expire-minutes", "--cors-origins", "8000", "127.0.0.1"})
    EXPECT_NE(o.output.find(f), std::string::npos) << f;
}
