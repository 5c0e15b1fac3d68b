#pragma once
// The REST API of chat-socket-backend-api.md under /api, plus / and /health.
#include <memory>
#include <string>
#include <vector>

#include "api/cors.hpp"
#include "auth/token_service.hpp"
#include "chat/service.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace api {

struct RestOptions {
  std::uint64_t max_body_bytes = 1 << 20;
  std::vector<std::string> cors_origins{"http://localhost:3000"};
};

class RestHandler final : public http::Handler {
 public:
  // `service` and `tokens` must outlive the handler.
  RestHandler(chat::Service& service, const auth::TokenService& tokens, RestOptions opts);

  std::uint64_t body_limit(const http::Request&) const override { return opts_.max_body_bytes; }
  base::awaitable<http::Outcome> handle(http::Request req, http::Connection& conn) override;

  // Verifies the bearer token of `req` (Authorization header). Returns the caller's email.
  chat::Result<std::string> authenticate(const http::Request& req) const;

 private:
  struct Ctx {
    const http::Request& req;
    std::vector<std::string_view> path_params;
    std::string caller;  // set for protected routes
  };
  using Endpoint = base::awaitable<http::Response> (RestHandler::*)(Ctx&);
  struct Route {
    Endpoint fn;
    bool protected_route;
  };
  void add(http::Verb v, std::string_view pattern, Endpoint fn, bool protected_route);
  base::awaitable<http::Response> dispatch(const http::Request& req);

  base::awaitable<http::Response> root(Ctx&);
  base::awaitable<http::Response> health(Ctx&);
  base::awaitable<http::Response> login(Ctx&);
  base::awaitable<http::Response> me(Ctx&);
  base::awaitable<http::Response> search(Ctx&);
  base::awaitable<http::Response> conversations(Ctx&);
  base::awaitable<http::Response> start_conversation(Ctx&);
  base::awaitable<http::Response> messages(Ctx&);
  base::awaitable<http::Response> mark_read(Ctx&);
  base::awaitable<http::Response> send_message(Ctx&);

  chat::Service& service_;
  const auth::TokenService& tokens_;
  RestOptions opts_;
  Cors cors_;
  http::Router router_;
  std::vector<Route> routes_;
};

}  // namespace api
