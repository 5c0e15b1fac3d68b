#pragma once
// Method + path routing with `{param}` segments. Knows nothing about handlers: match() returns
// the index given at add() time, so callers keep their own handler table.
#include <string>
#include <string_view>
#include <vector>

#include "http/server.hpp"

namespace http {

class Router {
 public:
  struct Match {
    enum class Kind { found, method_not_allowed, not_found } kind = Kind::not_found;
    std::size_t route = 0;
    std::vector<std::string_view> params;  // views into the path passed to match()
    std::string allow;                     // for method_not_allowed: "GET, POST"
  };

  // pattern like "/api/conversations/{id}/messages". Returns the route's index.
  std::size_t add(Verb method, std::string_view pattern);
  Match match(Verb method, std::string_view path) const;

 private:
  struct Route {
    Verb method;
    std::vector<std::string> segments;  // "{}" marks a parameter
  };
  static std::vector<std::string_view> split(std::string_view path);
  std::vector<Route> routes_;
};

}  // namespace http
