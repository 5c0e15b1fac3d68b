#include "http/router.hpp"

namespace http {

std::vector<std::string_view> Router::split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') { ++i; continue; }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::size_t Router::add(Verb method, std::string_view pattern) {
  Route r{method, {}};
  for (auto s : split(pattern))
    r.segments.emplace_back(s.size() >= 2 && s.front() == '{' && s.back() == '}' ? "{}"
                                                                                  : std::string(s));
  routes_.push_back(std::move(r));
  return routes_.size() - 1;
}

Router::Match Router::match(Verb method, std::string_view path) const {
  Match m;
  auto parts = split(path);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = routes_[i];
    if (r.segments.size() != parts.size()) continue;
    std::vector<std::string_view> params;
    bool ok = true;
    for (std::size_t k = 0; k < parts.size() && ok; ++k) {
      if (r.segments[k] == "{}") params.push_back(parts[k]);
      else ok = r.segments[k] == parts[k];
    }
    if (!ok) continue;
    if (r.method == method || (method == Verb::head && r.method == Verb::get)) {
      m.kind = Match::Kind::found;
      m.route = i;
      m.params = std::move(params);
      return m;
    }
    m.kind = Match::Kind::method_not_allowed;
    std::string name(beast::http::to_string(r.method));
    if (m.allow.find(name) == std::string::npos) m.allow += (m.allow.empty() ? "" : ", ") + name;
  }
  return m;
}

}  // namespace http
