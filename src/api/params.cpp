#include "api/params.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>

#include <charconv>

#include "base/utf8.hpp"
#include "http/response.hpp"

namespace api {
namespace json = boost::json;
using chat::fail;
using chat::invalid;

namespace {

chat::Result<std::unordered_map<std::string, std::string>> decode_form(std::string_view s,
                                                                      std::string_view where) {
  std::unordered_map<std::string, std::string> out;
  if (s.empty()) return out;
  // Debian's libboost_url 1.81 parse_query() runs strlen() on its input: give it a
  // NUL-terminated copy, or it reads past the end of the request target.
  const std::string input(s);
  auto parsed = boost::urls::parse_query(input);
  if (!parsed)
    return fail(invalid(std::string(where), "malformed " + std::string(where) + " encoding",
                        "value_error"));
  const boost::urls::encoding_opts form_opts(/*space_as_plus=*/true);
  for (auto p : *parsed) {
    std::string k = p.key.decode(form_opts);
    // First occurrence wins, like FastAPI for scalar parameters.
    if (out.count(k)) continue;
    out.emplace(std::move(k), p.has_value ? p.value.decode(form_opts) : std::string());
  }
  return out;
}

bool has_content_type(const http::Request& req, std::string_view want) {
  auto ct = req[http::Field::content_type];
  auto semi = ct.find(';');
  std::string_view base = base::trim(ct.substr(0, semi));
  if (base.size() != want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(base[i])) != want[i]) return false;
  return true;
}

}  // namespace

chat::Result<Params> Params::from_query(std::string_view target) {
  Params p;
  auto q = decode_form(http::target_query(target), "query");
  if (!q) return fail(std::move(q).error());
  p.query_ = std::move(*q);
  return p;
}

chat::Result<Params> Params::from_request(const http::Request& req) {
  auto p = from_query(req.target());
  if (!p) return p;
  const std::string& body = req.body();
  if (base::trim(body).empty()) return p;
  if (has_content_type(req, "application/json") || (req[http::Field::content_type].empty() &&
                                                    base::trim(body).front() == '{')) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return fail(invalid("body", "JSON decode error: " + ec.message(), "value_error.jsondecode"));
    if (!v.is_object())
      return fail(invalid("body", "value is not a valid dict", "type_error.dict"));
    p->json_ = std::move(v.as_object());
    return p;
  }
  if (has_content_type(req, "application/x-www-form-urlencoded") ||
      req[http::Field::content_type].empty() || has_content_type(req, "text/plain")) {
    auto f = decode_form(body, "body");
    if (!f) return fail(std::move(f).error());
    p->form_ = std::move(*f);
    return p;
  }
  return fail(invalid("body", "unsupported Content-Type; use application/json or "
                              "application/x-www-form-urlencoded", "type_error.content_type"));
}

std::string_view Params::location(std::string_view name) const {
  std::string k(name);
  if (json_.contains(k) || form_.count(k)) return "body";
  if (query_.count(k)) return "query";
  return "body";
}

chat::Result<std::optional<std::string>> Params::str(std::string_view name) const {
  std::string k(name);
  if (auto* v = json_.if_contains(k)) {
    if (v->is_null()) return std::optional<std::string>{};
    if (!v->is_string()) return fail(invalid(k, "str type expected", "type_error.str"));
    return std::optional<std::string>(std::string(v->as_string()));
  }
  if (auto it = form_.find(k); it != form_.end()) return std::optional<std::string>(it->second);
  if (auto it = query_.find(k); it != query_.end()) return std::optional<std::string>(it->second);
  return std::optional<std::string>{};
}

chat::Result<std::optional<std::int64_t>> Params::integer(std::string_view name) const {
  std::string k(name);
  auto not_int = [&] { return fail(invalid(k, "value is not a valid integer", "type_error.integer")); };
  if (auto* v = json_.if_contains(k)) {
    if (v->is_null()) return std::optional<std::int64_t>{};
    if (v->is_int64()) return std::optional<std::int64_t>(v->as_int64());
    return not_int();
  }
  auto s = str(name);
  if (!s) return fail(std::move(s).error());
  if (!*s) return std::optional<std::int64_t>{};
  std::string_view t = base::trim(**s);
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) return not_int();
  return std::optional<std::int64_t>(n);
}

}  // namespace api
