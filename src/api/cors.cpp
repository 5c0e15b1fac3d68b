#include "api/cors.hpp"

#include <algorithm>

#include "http/response.hpp"

namespace api {

Cors::Cors(std::vector<std::string> origins) : origins_(std::move(origins)) {
  any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

bool Cors::allowed(std::string_view origin) const {
  if (origin.empty()) return false;
  return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

void Cors::decorate(const http::Request& req, http::Response& res) const {
  auto origin = req[http::Field::origin];
  res.set(http::Field::vary, "Origin");
  if (!allowed(origin)) return;
  res.set(http::Field::access_control_allow_origin, origin);
  res.set(http::Field::access_control_allow_credentials, "true");
}

bool Cors::is_preflight(const http::Request& req) {
  return req.method() == http::Verb::options && req.count(http::Field::origin) &&
         req.count(http::Field::access_control_request_method);
}

http::Response Cors::preflight(const http::Request& req) const {
  auto origin = req[http::Field::origin];
  if (!allowed(origin)) {
    auto res = http::make_response(req, http::Status::bad_request, "Disallowed CORS origin",
                                   "text/plain; charset=utf-8");
    res.set(http::Field::vary, "Origin");
    return res;
  }
  auto res = http::make_response(req, http::Status::ok, "OK", "text/plain; charset=utf-8");
  decorate(req, res);
  res.set(http::Field::access_control_allow_methods, "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
  std::string_view hdrs = req[http::Field::access_control_request_headers];
  res.set(http::Field::access_control_allow_headers,
          hdrs.empty() ? std::string_view("Authorization, Content-Type") : hdrs);
  res.set(http::Field::access_control_max_age, "600");
  return res;
}

}  // namespace api
