#pragma once
// What one generator process measured (a Partial), merged across processes, then turned into the
// scenario's JSON line and a readable table.
#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "histogram.hpp"

namespace nb {

struct Partial {
  std::map<std::string, double> sum;  // merged by addition (counts, bytes)
  std::map<std::string, double> max;  // merged by maximum (elapsed times, RSS readings)
  std::map<std::string, Histogram> hist;  // latencies in ns, merged bucket-wise

  void add(const std::string& k, double v) { sum[k] += v; }
  void set_max(const std::string& k, double v);
  double get(const std::string& k) const;  // sum, else max, else 0
  Histogram& h(const std::string& k) { return hist[k]; }
  const Histogram* find_h(const std::string& k) const;

  void merge(const Partial& o);
  boost::json::object to_json() const;
  static Partial from_json(const boost::json::object& o);
};

// {"n":..,"p50_ms":..,"p90_ms":..,"p99_ms":..,"p999_ms":..,"max_ms":..,"mean_ms":..}
boost::json::object latency_json(const Histogram& h);

// One scenario's outcome: the JSON line written to stdout.
struct Report {
  std::string scenario;
  std::string server;
  boost::json::object params;
  boost::json::object results;
  bool ok = true;  // false: a check failed (lost/duplicate/out-of-order messages, errors)
  std::vector<std::string> problems;

  // A check failed: not ok, and why.
  void fail(std::string problem) {
    ok = false;
    problems.push_back(std::move(problem));
  }

  std::string json_line() const;
  // Multi-line human-readable rendering (flattens nested objects to dotted keys).
  std::string table() const;
};

}  // namespace nb
