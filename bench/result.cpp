#include "result.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace nb {

void Partial::set_max(const std::string& k, double v) {
  auto it = max.find(k);
  if (it == max.end()) max[k] = v;
  else it->second = std::max(it->second, v);
}

double Partial::get(const std::string& k) const {
  if (auto it = sum.find(k); it != sum.end()) return it->second;
  if (auto it = max.find(k); it != max.end()) return it->second;
  return 0;
}

const Histogram* Partial::find_h(const std::string& k) const {
  auto it = hist.find(k);
  return it == hist.end() ? nullptr : &it->second;
}

void Partial::merge(const Partial& o) {
  for (const auto& [k, v] : o.sum) sum[k] += v;
  for (const auto& [k, v] : o.max) set_max(k, v);
  for (const auto& [k, v] : o.hist) hist[k].merge(v);
}

boost::json::object Partial::to_json() const {
  boost::json::object s, m, h;
  for (const auto& [k, v] : sum) s[k] = v;
  for (const auto& [k, v] : max) m[k] = v;
  for (const auto& [k, v] : hist) h[k] = v.to_json();
  return {{"sum", s}, {"max", m}, {"hist", h}};
}

Partial Partial::from_json(const boost::json::object& o) {
  Partial p;
  for (const auto& [k, v] : o.at("sum").as_object()) p.sum[std::string(k)] = v.to_number<double>();
  for (const auto& [k, v] : o.at("max").as_object()) p.max[std::string(k)] = v.to_number<double>();
  for (const auto& [k, v] : o.at("hist").as_object()) p.hist[std::string(k)] = Histogram::from_json(v);
  return p;
}

namespace {
double ms(std::int64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; }
}  // namespace

boost::json::object latency_json(const Histogram& h) {
  return {{"n", h.count()},
          {"p50_ms", ms(h.quantile(0.50))},
          {"p90_ms", ms(h.quantile(0.90))},
          {"p99_ms", ms(h.quantile(0.99))},
          {"p999_ms", ms(h.quantile(0.999))},
          {"max_ms", ms(h.max())},
          {"mean_ms", ms(static_cast<std::int64_t>(h.mean()))}};
}

namespace {
// Whole numbers print as integers ("1297", not "1.297E3").
void normalize(boost::json::value& v) {
  if (v.is_object()) {
    for (auto& kv : v.as_object()) normalize(kv.value());
  } else if (v.is_array()) {
    for (auto& x : v.as_array()) normalize(x);
  } else if (v.is_double()) {
    double d = v.as_double();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) v = static_cast<std::int64_t>(d);
  }
}
}  // namespace

std::string Report::json_line() const {
  boost::json::object o;
  o["scenario"] = scenario;
  o["server"] = server;
  o["params"] = params;
  o["results"] = results;
  for (auto& kv : o) normalize(kv.value());
  o["ok"] = ok;
  if (!problems.empty()) {
    boost::json::array a;
    for (const auto& p : problems) a.emplace_back(p);
    o["problems"] = std::move(a);
  }
  return boost::json::serialize(o);
}

namespace {
void flatten(const boost::json::object& o, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [k, v] : o) {
    std::string key = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
    if (v.is_object()) {
      flatten(v.as_object(), key, out);
    } else if (v.is_double()) {
      char buf[64];
      double d = v.as_double();
      bool whole = d == std::floor(d);
      std::snprintf(buf, sizeof buf, (whole || std::fabs(d) >= 100) ? "%.0f" : "%.3f", d);
      out.emplace_back(key, buf);
    } else if (v.is_string()) {
      out.emplace_back(key, std::string(v.as_string()));
    } else {
      out.emplace_back(key, boost::json::serialize(v));
    }
  }
}
}  // namespace

std::string Report::table() const {
  std::vector<std::pair<std::string, std::string>> rows;
  flatten(params, "params", rows);
  flatten(results, "", rows);
  std::size_t w = 0;
  for (const auto& r : rows) w = std::max(w, r.first.size());
  std::ostringstream s;
  s << "== " << scenario << " @ " << (server.empty() ? "?" : server) << (ok ? "" : "  [CHECK FAILED]")
    << "\n";
  for (const auto& [k, v] : rows) s << "  " << k << std::string(w - k.size() + 2, ' ') << v << "\n";
  for (const auto& p : problems) s << "  ! " << p << "\n";
  return s.str();
}

}  // namespace nb
