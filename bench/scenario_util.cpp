#include "scenario_util.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <cstring>
#include <cmath>

namespace nb {

std::string bench_email(const Common& c, std::string_view role, std::size_t i) {
  std::string s = "nb-";
  s += c.run_id;
  s += '-';
  s += role;
  s += std::to_string(i);
  s += "@example.com";
  return s;
}

awaitable<std::size_t> connect_all(Worker& w, std::vector<std::shared_ptr<SioClient>>& clients,
                                   Partial& p, const std::string& hist, unsigned concurrency) {
  std::size_t ok = 0;
  auto& h = p.h(hist);
  if (concurrency == 0) concurrency = w.common.connect_concurrency;
  std::string first_error;
  co_await parallel_for(clients.size(), concurrency, [&](std::size_t i) -> awaitable<void> {
    auto r = co_await clients[i]->connect();
    if (r.ok) {
      ++ok;
      h.record(r.connected_ns - r.start_ns);
      clients[i]->start_reading();
    } else {
      p.add("connect_failed", 1);
      if (first_error.empty()) first_error = r.error;
    }
  });
  if (!first_error.empty() && w.common.verbose)
    std::fprintf(stderr, "[w%u] connect failures, first: %s\n", w.index, first_error.c_str());
  if (!first_error.empty()) p.set_max("connect_error_seen", 1);
  co_return ok;
}

awaitable<void> connect_and_hold(Worker& w, std::vector<std::shared_ptr<SioClient>>& clients,
                                 const CountingHandler& handler, Partial& p, double settle,
                                 double hold) {
  co_await w.barrier("before");
  auto t0 = now_ns();
  auto ok = co_await connect_all(w, clients, p, "handshake");
  p.set_max("connect_s", seconds_since(t0));
  p.add("connected", static_cast<double>(ok));
  co_await w.barrier("connected");
  co_await sleep_for(settle);
  co_await w.barrier("after");
  co_await sleep_for(hold);
  co_await w.barrier("held");
  p.add("events_received", static_cast<double>(handler.events));
  p.add("closed_by_server", static_cast<double>(handler.closed));
}

namespace {
template <class F>
bool with_object(std::string_view json, F&& f) {
  unsigned char buf[8192];
  boost::json::monotonic_resource mr(buf, sizeof buf);
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec, &mr);
  if (ec || !v.is_object()) return false;
  f(v.as_object());
  return true;
}
}  // namespace

namespace {
// The value of a top-level string member `"key":"value"` of a compact JSON object when it can be
// read without a parser: the key right after '{' or ',', the value free of escapes. nullopt sends
// the caller to the full parse. (A key inside a string value is preceded by an escaped quote,
// never by '{' or ',' and an unescaped quote.)
// `pattern` is `"key":"`.
std::optional<std::string_view> plain_string_member(std::string_view json, std::string_view pattern) {
  if (json.empty() || json.front() != '{') return std::nullopt;
  // memmem: one vectorised scan for the whole pattern (find() stops at every '"' of the text).
  for (std::size_t from = 1; from < json.size();) {
    const void* hit = ::memmem(json.data() + from, json.size() - from, pattern.data(), pattern.size());
    if (hit == nullptr) return std::nullopt;
    const auto at = static_cast<std::size_t>(static_cast<const char*>(hit) - json.data());
    from = at + 1;
    if (json[at - 1] != '{' && json[at - 1] != ',') continue;
    const auto begin = at + pattern.size();
    // The closing quote, unless an escape comes first (a plain loop: find_first_of calls memchr
    // on its set once per character).
    auto end = begin;
    while (end < json.size() && json[end] != '"' && json[end] != '\\') ++end;
    if (end == json.size() || json[end] != '"') return std::nullopt;
    return json.substr(begin, end - begin);
  }
  return std::nullopt;
}
}  // namespace

std::optional<MessageView> parse_message(std::string_view json) {
  // Every delivery of every scenario passes here: the generator must stay cheaper than the
  // servers it measures, so the usual compact payloads are read without building a JSON tree or
  // copying the values.
  if (auto text = plain_string_member(json, "\"message\":\"")) return MessageView{*text, nullptr};
  std::optional<MessageView> out;
  with_object(json, [&](const boost::json::object& o) {
    auto m = o.if_contains("message");
    if (!m || !m->is_string()) return;
    auto owned = std::make_shared<const std::string>(m->get_string());
    out = MessageView{*owned, std::move(owned)};
  });
  return out;
}

std::optional<std::string> parse_email(std::string_view json) {
  std::optional<std::string> out;
  with_object(json, [&](const boost::json::object& o) {
    if (auto e = o.if_contains("email"); e && e->is_string()) out = std::string(e->get_string());
  });
  return out;
}

std::string stamp_text(std::uint64_t a, std::uint64_t b, std::int64_t c, unsigned size) {
  std::string s = std::to_string(a);
  s += ':';
  s += std::to_string(b);
  s += ':';
  s += std::to_string(c);
  if (s.size() < size) {
    s += ' ';
    s.append(size > s.size() ? size - s.size() : 0, 'x');
  }
  return s;
}

bool parse_stamp(std::string_view t, std::uint64_t& a, std::uint64_t& b, std::int64_t& c) {
  const char* p = t.data();
  const char* end = t.data() + t.size();
  auto r1 = std::from_chars(p, end, a);
  if (r1.ec != std::errc{} || r1.ptr == end || *r1.ptr != ':') return false;
  auto r2 = std::from_chars(r1.ptr + 1, end, b);
  if (r2.ec != std::errc{} || r2.ptr == end || *r2.ptr != ':') return false;
  auto r3 = std::from_chars(r2.ptr + 1, end, c);
  return r3.ec == std::errc{};
}

std::string send_payload(std::string_view to_email, std::string_view text) {
  std::string s = R"({"to_email":")";
  s += to_email;
  s += R"(","message":")";
  s += text;
  s += R"(","message_type":"text"})";
  return s;
}

double round3(double v) { return std::round(v * 1000) / 1000; }

void put_latency(boost::json::object& o, const char* key, const Partial& p, const std::string& h) {
  if (const Histogram* hh = p.find_h(h); hh && hh->count()) o[key] = latency_json(*hh);
}

Report make_report(const char* scenario, const Common& c) {
  Report r;
  r.scenario = scenario;
  r.server = c.server;
  r.params["url"] = c.url;
  r.params["procs"] = c.procs;
  r.params["run_id"] = c.run_id;
  return r;
}

void put_rss(boost::json::object& results, const Partial& p) {
  boost::json::object rss;
  for (const auto& [k, v] : p.max)
    if (k.rfind("rss_kb.", 0) == 0) rss[k.substr(7)] = v;
  if (!rss.empty()) results["server_rss_kb"] = std::move(rss);
  boost::json::object cpu;
  for (const auto& [k, v] : p.max)
    if (k.rfind("cpu_s.", 0) == 0) cpu[k.substr(6)] = round3(v);
  if (!cpu.empty()) results["server_cpu_s"] = std::move(cpu);
}

CpuUse cpu_between(const Partial& p, const char* from, const char* to) {
  CpuUse u;
  auto a = p.max.find(std::string("cpu_s.") + from);
  auto b = p.max.find(std::string("cpu_s.") + to);
  if (a != p.max.end() && b != p.max.end()) u.server_s = b->second - a->second;
  auto ga = p.sum.find(std::string("gen_cpu_s.") + from);
  auto gb = p.sum.find(std::string("gen_cpu_s.") + to);
  if (ga != p.sum.end() && gb != p.sum.end()) u.generator_s = gb->second - ga->second;
  return u;
}

void put_cpu_between(boost::json::object& results, const Partial& p, const char* from,
                     const char* to, double wall_s) {
  if (wall_s <= 0) return;
  CpuUse u = cpu_between(p, from, to);
  if (u.server_s >= 0) results["server_cpu_cores"] = round3(u.server_s / wall_s);
  if (u.generator_s >= 0) results["generator_cpu_cores"] = round3(u.generator_s / wall_s);
}

void put_connects(Report& r, const Partial& m, double hold) {
  auto& res = r.results;
  double connected = m.get("connected");
  double connect_s = m.get("connect_s");
  res["connected"] = connected;
  res["connect_failed"] = m.get("connect_failed");
  res["connect_s"] = round3(connect_s);
  res["connects_per_s"] = connect_s > 0 ? std::round(connected / connect_s) : 0.0;
  res["closed_by_server"] = m.get("closed_by_server");
  res["events_received"] = m.get("events_received");
  put_latency(res, "handshake", m, "handshake");
  put_rss(res, m);
  put_cpu_between(res, m, "after", "held", hold);
  // What one connect cost: the two sides share the machine's cores, so their sum per connect
  // bounds connects/s.
  CpuUse cpu = cpu_between(m, "before", "connected");
  if (connected > 0 && connect_s > 0) {
    if (cpu.server_s >= 0) {
      res["connect_server_cpu_cores"] = round3(cpu.server_s / connect_s);
      res["server_cpu_us_per_connect"] = std::round(cpu.server_s / connected * 1e6);
    }
    if (cpu.generator_s >= 0) {
      res["connect_generator_cpu_cores"] = round3(cpu.generator_s / connect_s);
      res["generator_cpu_us_per_connect"] = std::round(cpu.generator_s / connected * 1e6);
    }
  }
  double before = m.get("rss_kb.before"), after = m.get("rss_kb.after"), held = m.get("rss_kb.held");
  if (before > 0 && after > 0 && connected > 0) {
    res["rss_per_conn_kb"] = round3((after - before) / connected);
    if (held > 0) res["rss_per_conn_kb_after_hold"] = round3((held - before) / connected);
  }
  if (m.get("connect_failed") > 0)
    r.fail(std::to_string(static_cast<long>(m.get("connect_failed"))) + " sockets failed to connect");
  if (m.get("closed_by_server") > 0) r.fail("the server closed sockets during the hold");
}

}  // namespace nb
