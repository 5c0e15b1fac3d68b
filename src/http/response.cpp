#include "http/response.hpp"

#include <boost/asio/write.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>

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

base::awaitable<bool> write_flat(Connection& conn, const Response& res) {
  std::string head;
  head.reserve(192);
  head.append(res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ", 9);
  char code[8];
  auto r = std::to_chars(code, code + sizeof code, res.result_int());
  head.append(code, static_cast<std::size_t>(r.ptr - code));
  head.push_back(' ');
  head.append(res.reason());
  head.append("\r\n", 2);
  for (const auto& f : res) {
    head.append(f.name_string());
    head.append(": ", 2);
    head.append(f.value());
    head.append("\r\n", 2);
  }
  head.append("\r\n", 2);
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(res.body())};
  auto [ec, n] = co_await asio::async_write(conn.stream, bufs, base::as_result);
  (void)n;
  co_return !ec;
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
