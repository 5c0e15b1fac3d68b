#pragma once
// Request parameters from the query string, an application/x-www-form-urlencoded body or a JSON
// object body. The Python prototype read login and conversation-start parameters from the query
// string while documenting a form body; natter accepts all three (body wins over query).
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "chat/error.hpp"
#include "http/server.hpp"

namespace api {

class Params {
 public:
  // Parses the query string only.
  static chat::Result<Params> from_query(std::string_view target);
  // Parses the query string and the body (by Content-Type; a body without one is tried as a form).
  static chat::Result<Params> from_request(const http::Request& req);

  // A string parameter; a JSON value of another type is an Errc::invalid error
  // (null counts as absent).
  chat::Result<std::optional<std::string>> str(std::string_view name) const;
  // An integer parameter (decimal string or JSON integer).
  chat::Result<std::optional<std::int64_t>> integer(std::string_view name) const;
  // Where a parameter came from, for FastAPI-style error locations: "body" or "query".
  std::string_view location(std::string_view name) const;

 private:
  std::unordered_map<std::string, std::string> query_;
  std::unordered_map<std::string, std::string> form_;
  boost::json::object json_;
};

}  // namespace api
