#include "api/errors.hpp"

#include <boost/json.hpp>

#include "http/response.hpp"

namespace api {
namespace {

// One item of FastAPI's validation error list.
boost::json::object validation_item(const chat::Error& e, std::string_view location) {
  boost::json::array loc;
  loc.emplace_back(location);
  // FastAPI: ["query","limit"], ["body","email"]; a body that does not decode: ["body"].
  if (!e.field.empty() && !(e.field == "body" && location == "body")) loc.emplace_back(e.field);
  boost::json::object item;
  item["loc"] = std::move(loc);
  item["msg"] = e.message;
  item["type"] = e.type.empty() ? "value_error" : e.type;
  return item;
}

}  // namespace

http::Response validation_response(
    const http::Request& req, const std::vector<std::pair<chat::Error, std::string>>& errors) {
  boost::json::array items;
  for (auto& [e, location] : errors) items.push_back(validation_item(e, location));
  boost::json::object body;
  body["detail"] = std::move(items);
  return http::json_response(req, http::Status::unprocessable_entity, body);
}

http::Response error_response(const http::Request& req, const chat::Error& e,
                              std::string_view location) {
  using chat::Errc;
  using S = http::Status;
  switch (e.code) {
    case Errc::unauthenticated: {
      auto res = http::detail_response(req, S::unauthorized, e.message);
      res.set(http::Field::www_authenticate, "Bearer");
      return res;
    }
    case Errc::user_not_found:
    case Errc::recipient_not_found:
    case Errc::conversation_not_found:
      return http::detail_response(req, S::not_found, e.message);
    case Errc::forbidden: return http::detail_response(req, S::forbidden, e.message);
    case Errc::self_conversation: return http::detail_response(req, S::bad_request, e.message);
    case Errc::invalid: return validation_response(req, {{e, std::string(location)}});
    case Errc::unavailable:
      return http::detail_response(req, S::service_unavailable, "Service temporarily unavailable");
    case Errc::internal: break;
  }
  return http::detail_response(req, S::internal_server_error,
                               e.message.empty() ? "Internal Server Error" : e.message);
}

}  // namespace api
