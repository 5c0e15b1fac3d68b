#include "api/rest_handler.hpp"

#include <boost/json.hpp>

#include "api/errors.hpp"
#include "api/params.hpp"
#include "base/log.hpp"
#include "base/utf8.hpp"
#include "chat/wire.hpp"
#include "chat/wire_text.hpp"
#include "http/response.hpp"

namespace api {
namespace json = boost::json;
using http::Status;
using http::Verb;

namespace {

std::int64_t now_seconds() { return base::now_millis() / 1000; }

http::Response json_text(const http::Request& req, std::string body) {
  return http::make_response(req, Status::ok, std::move(body), "application/json");
}

// Location of a validation error: where the offending parameter came from.
std::string_view where(const Params& p, const chat::Error& e, std::string_view fallback) {
  if (e.code != chat::Errc::invalid || e.field.empty()) return fallback;
  if (e.field == "body" || e.field == "query") return e.field;
  return p.location(e.field);
}

// FastAPI validates the request schema before the handler runs and reports every missing
// required field at once; the use case then checks values one by one.
std::vector<std::pair<chat::Error, std::string>> missing_fields(
    const Params& p, std::initializer_list<std::pair<const char*, const std::optional<std::string>*>> fields) {
  std::vector<std::pair<chat::Error, std::string>> out;
  for (auto& [name, value] : fields)
    if (!*value) out.emplace_back(chat::invalid(name, "field required", "value_error.missing"),
                                  std::string(p.location(name)));
  return out;
}

}  // namespace

RestHandler::RestHandler(chat::Service& service, const auth::TokenService& tokens,
                         RestOptions opts)
    : service_(service), tokens_(tokens), opts_(std::move(opts)), cors_(opts_.cors_origins) {
  add(Verb::get, "/", &RestHandler::root, false);
  add(Verb::get, "/health", &RestHandler::health, false);
  add(Verb::post, "/api/auth/login", &RestHandler::login, false);
  add(Verb::get, "/api/users/me", &RestHandler::me, true);
  add(Verb::get, "/api/users/search", &RestHandler::search, true);
  add(Verb::get, "/api/conversations", &RestHandler::conversations, true);
  add(Verb::post, "/api/conversations/start", &RestHandler::start_conversation, true);
  add(Verb::get, "/api/conversations/{id}/messages", &RestHandler::messages, true);
  add(Verb::post, "/api/conversations/{id}/mark-read", &RestHandler::mark_read, true);
  add(Verb::post, "/api/messages/send", &RestHandler::send_message, true);
}

void RestHandler::add(Verb v, std::string_view pattern, Endpoint fn, bool protected_route) {
  router_.add(v, pattern);
  routes_.push_back(Route{fn, protected_route});
}

chat::Result<std::string> RestHandler::authenticate(const http::Request& req) const {
  auto header = req[http::Field::authorization];
  auto unauth = [](std::string msg) {
    return chat::fail(chat::make_error(chat::Errc::unauthenticated, std::move(msg)));
  };
  if (header.empty()) return unauth("Not authenticated");
  auto sp = header.find(' ');
  std::string_view scheme = header.substr(0, sp);
  if (sp == std::string_view::npos || scheme.size() != 6 ||
      !std::equal(scheme.begin(), scheme.end(), "bearer",
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
    return unauth("Not authenticated");
  auto token = base::trim(header.substr(sp + 1));
  auto claims = tokens_.verify(token, now_seconds());
  if (!claims) return unauth("Could not validate credentials");
  return std::move(claims->subject);
}

base::awaitable<http::Outcome> RestHandler::handle(http::Request req, http::Connection& conn) {
  http::Response res;
  if (Cors::is_preflight(req)) {
    res = cors_.preflight(req);
  } else {
    try {
      res = co_await dispatch(req);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method_string(), req.target(), e.what());
      res = http::detail_response(req, Status::internal_server_error, "Internal Server Error");
    }
    cors_.decorate(req, res);
  }
  if (req.method() == Verb::head) {
    res.body().clear();
  }
  bool ok = co_await http::write_flat(conn, res);
  unsigned status = res.result_int();
  co_return http::Outcome{ok && res.keep_alive() ? http::Disposition::keep_alive
                                                 : http::Disposition::close,
                          status};
}

base::awaitable<http::Response> RestHandler::dispatch(const http::Request& req) {
  auto m = router_.match(req.method(), http::target_path(req.target()));
  using K = http::Router::Match::Kind;
  if (m.kind == K::not_found) co_return http::detail_response(req, Status::not_found, "Not Found");
  if (m.kind == K::method_not_allowed) {
    auto res = http::detail_response(req, Status::method_not_allowed, "Method Not Allowed");
    res.set(http::Field::allow, m.allow);
    co_return res;
  }
  const Route& r = routes_[m.route];
  Ctx ctx{req, std::move(m.params), {}};
  if (r.protected_route) {
    auto who = authenticate(req);
    if (!who) co_return error_response(req, who.error(), "header");
    ctx.caller = std::move(*who);
  }
  co_return co_await (this->*r.fn)(ctx);
}

base::awaitable<http::Response> RestHandler::root(Ctx& c) {
  co_return http::json_response(c.req, Status::ok, json::object{{"message", "Chat Socket Backend API"}});
}

base::awaitable<http::Response> RestHandler::health(Ctx& c) {
  bool ok = service_.store().healthy();
  json::object o;
  o["status"] = ok ? "healthy" : "unhealthy";
  o["store"] = ok ? "ok" : "unavailable";
  o["timestamp"] = base::format_iso8601(base::now_millis());
  co_return http::json_response(c.req, ok ? Status::ok : Status::service_unavailable, json::value(std::move(o)));
}

base::awaitable<http::Response> RestHandler::login(Ctx& c) {
  auto p = Params::from_request(c.req);
  if (!p) co_return error_response(c.req, p.error(), "body");
  chat::LoginInput in;
  for (auto [name, field] : {std::pair{"email", &in.email}, std::pair{"name", &in.name},
                             std::pair{"profile_image", &in.profile_image}}) {
    auto v = p->str(name);
    if (!v) co_return error_response(c.req, v.error(), p->location(name));
    *field = std::move(*v);
  }
  if (auto missing = missing_fields(*p, {{"email", &in.email}}); !missing.empty())
    co_return validation_response(c.req, missing);
  auto user = co_await service_.login(std::move(in));
  if (!user) co_return error_response(c.req, user.error(), where(*p, user.error(), "body"));
  json::object o;
  o["access_token"] = tokens_.issue(user->email, now_seconds());
  o["token_type"] = "bearer";
  o["user"] = chat::wire::user_brief(*user);
  co_return http::json_response(c.req, Status::ok, json::value(std::move(o)));
}

base::awaitable<http::Response> RestHandler::me(Ctx& c) {
  auto v = service_.me(c.caller);
  if (!v) co_return error_response(c.req, v.error(), "query");
  std::string body;
  body.reserve(256);
  chat::wire_text::user_view(body, v->user, v->is_online, true);
  co_return json_text(c.req, std::move(body));
}

base::awaitable<http::Response> RestHandler::search(Ctx& c) {
  auto p = Params::from_query(c.req.target());
  if (!p) co_return error_response(c.req, p.error(), "query");
  auto q = p->str("query");
  if (!q) co_return error_response(c.req, q.error(), "query");
  auto limit = p->integer("limit");
  if (!limit) co_return error_response(c.req, limit.error(), "query");
  auto users = service_.search(c.caller, std::move(*q), *limit);
  if (!users) co_return error_response(c.req, users.error(), "query");
  std::string body;
  body.reserve(2 + users->size() * 160);
  chat::wire_text::array(body, *users, [](std::string& o, const chat::UserView& u) {
    chat::wire_text::user_view(o, u.user, u.is_online, false);
  });
  co_return json_text(c.req, std::move(body));
}

base::awaitable<http::Response> RestHandler::conversations(Ctx& c) {
  auto list = service_.conversations(c.caller);
  if (!list) co_return error_response(c.req, list.error(), "query");
  std::string body;
  body.reserve(2 + list->size() * 320);
  chat::wire_text::array(body, *list, chat::wire_text::conversation_summary);
  co_return json_text(c.req, std::move(body));
}

base::awaitable<http::Response> RestHandler::start_conversation(Ctx& c) {
  auto p = Params::from_request(c.req);
  if (!p) co_return error_response(c.req, p.error(), "body");
  auto to = p->str("to_email");
  if (!to) co_return error_response(c.req, to.error(), p->location("to_email"));
  auto conv = co_await service_.start_conversation(c.caller, std::move(*to));
  if (!conv) co_return error_response(c.req, conv.error(), where(*p, conv.error(), "body"));
  co_return http::json_response(c.req, Status::ok, chat::wire::conversation(*conv));
}

base::awaitable<http::Response> RestHandler::messages(Ctx& c) {
  auto p = Params::from_query(c.req.target());
  if (!p) co_return error_response(c.req, p.error(), "query");
  auto skip = p->integer("skip");
  if (!skip) co_return error_response(c.req, skip.error(), "query");
  auto limit = p->integer("limit");
  if (!limit) co_return error_response(c.req, limit.error(), "query");
  auto msgs = service_.messages(c.caller, c.path_params.at(0), *skip, *limit);
  if (!msgs) co_return error_response(c.req, msgs.error(), "query");
  std::size_t estimate = 2;
  for (auto& m : *msgs) estimate += 300 + m.body.size() + m.sender_name.size() + m.sender_email.size();
  std::string body;
  body.reserve(estimate);
  chat::wire_text::array(body, *msgs, chat::wire_text::message);
  co_return json_text(c.req, std::move(body));
}

base::awaitable<http::Response> RestHandler::mark_read(Ctx& c) {
  auto conv = co_await service_.mark_read(c.caller, std::string(c.path_params.at(0)));
  if (!conv) co_return error_response(c.req, conv.error(), "path");
  co_return http::json_response(c.req, Status::ok,
                                json::object{{"message", "Conversation marked as read"}});
}

base::awaitable<http::Response> RestHandler::send_message(Ctx& c) {
  auto p = Params::from_request(c.req);
  if (!p) co_return error_response(c.req, p.error(), "body");
  chat::SendInput in;
  for (auto [name, field] :
       {std::pair{"to_email", &in.to_email}, std::pair{"message", &in.message},
        std::pair{"message_type", &in.message_type}, std::pair{"reply_to", &in.reply_to}}) {
    auto v = p->str(name);
    if (!v) co_return error_response(c.req, v.error(), p->location(name));
    *field = std::move(*v);
  }
  auto missing = missing_fields(*p, {{"to_email", &in.to_email}, {"message", &in.message}});
  if (in.message_type && !chat::parse_message_type(*in.message_type))
    missing.emplace_back(chat::invalid("message_type", "message_type must be one of: text, image, file",
                                       "value_error.enum"),
                         std::string(p->location("message_type")));
  if (!missing.empty()) co_return validation_response(c.req, missing);
  auto r = co_await service_.send_message(c.caller, std::move(in));
  if (!r) co_return error_response(c.req, r.error(), where(*p, r.error(), "body"));
  std::string body;
  body.reserve(320 + r->message.body.size());
  chat::wire_text::message(body, r->message);
  co_return json_text(c.req, std::move(body));
}

}  // namespace api
