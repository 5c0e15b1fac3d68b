#include "http/response.hpp"

#include <boost/json/serialize.hpp>

namespace http {

Response make_response(const Request& req, Status status, std::string body,
                       std::string_view content_type) {
  Response res{status, req.version()};
  res.set(Field::server, "natter");
  if (!content_type.empty()) res.set(Field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(const Request& req, Status status, const boost::json::value& body) {
  return make_response(req, status, boost::json::serialize(body), "application/json");
}

Response detail_response(const Request& req, Status status, std::string_view detail) {
  boost::json::object o;
  o["detail"] = detail;
  return json_response(req, status, o);
}

std::string_view target_path(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string_view target_query(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

}  // namespace http
