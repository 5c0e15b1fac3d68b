#pragma once
// CORS for the REST API: allowed origins get Access-Control-Allow-Origin (with credentials);
// preflight requests are answered here.
#include <string>
#include <vector>

#include "http/server.hpp"

namespace api {

class Cors {
 public:
  // "*" in `origins` allows any origin.
  explicit Cors(std::vector<std::string> origins);
  bool allowed(std::string_view origin) const;
  // Adds the response headers for `req`'s Origin, if allowed.
  void decorate(const http::Request& req, http::Response& res) const;
  static bool is_preflight(const http::Request& req);
  http::Response preflight(const http::Request& req) const;

 private:
  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace api
