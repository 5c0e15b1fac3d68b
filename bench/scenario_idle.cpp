// idle: log in users, open authenticated sockets, hold them; connects/s, handshake latency and the
// server's RSS per connection.
#include "scenario_util.hpp"
#include "scenarios.hpp"
#include "http_client.hpp"

namespace nb {
namespace {

class CountingHandler : public SioHandler {
 public:
  std::uint64_t events = 0;
  std::uint64_t closed = 0;
  void on_event(SioClient&, std::string_view, std::string_view) override { ++events; }
  void on_closed(SioClient&, std::string_view) override { ++closed; }
};

}  // namespace

Report run_idle(const Common& c, const Target& t, const IdleOptions& o) {
  const unsigned spu = std::max(1u, o.sockets_per_user);
  WorkFn work = [&](Worker& w) -> awaitable<Partial> {
    Partial p;
    auto [b, e] = w.share(o.sockets);
    // Users of this worker's sockets (a user may span two workers: logging in twice is fine).
    std::size_t ub = b / spu, ue = e == b ? ub : (e - 1) / spu + 1;
    std::vector<std::string> emails;
    for (std::size_t u = ub; u < ue; ++u) emails.push_back(bench_email(w.common, "idle", u));
    auto t_login = now_ns();
    auto tokens = co_await login_all(w.target, emails, w.common.login_concurrency);
    p.set_max("login_s", seconds_since(t_login));
    p.add("logins", static_cast<double>(emails.size()));

    CountingHandler handler;
    std::vector<std::shared_ptr<SioClient>> clients;
    for (std::size_t i = b; i < e; ++i)
      clients.push_back(std::make_shared<SioClient>(w.ioc, w.target, tokens[i / spu - ub], &handler, i,
                                                    static_cast<unsigned>(i)));
    co_await w.barrier("before");
    auto t0 = now_ns();
    auto ok = co_await connect_all(w, clients, p, "handshake");
    p.set_max("connect_s", seconds_since(t0));
    p.add("connected", static_cast<double>(ok));
    co_await sleep_for(o.settle);
    co_await w.barrier("after");
    co_await sleep_for(o.hold);
    co_await w.barrier("held");
    p.add("events_received", static_cast<double>(handler.events));
    p.add("closed_by_server", static_cast<double>(handler.closed));
    co_return p;
  };
  Partial m = run_workers(c, t, work);

  Report r = make_report("idle", c);
  r.params["sockets"] = o.sockets;
  r.params["users"] = (o.sockets + spu - 1) / spu;
  r.params["sockets_per_user"] = spu;
  r.params["hold_s"] = o.hold;
  auto& res = r.results;
  double connected = m.get("connected");
  res["connected"] = connected;
  res["connect_failed"] = m.get("connect_failed");
  res["connect_s"] = round3(m.get("connect_s"));
  res["connects_per_s"] = m.get("connect_s") > 0 ? std::round(connected / m.get("connect_s")) : 0.0;
  res["login_s"] = round3(m.get("login_s"));
  res["closed_by_server"] = m.get("closed_by_server");
  res["events_received"] = m.get("events_received");
  put_latency(res, "handshake", m, "handshake");
  put_rss(res, m);
  put_cpu_between(res, m, "after", "held", o.hold);
  double before = m.get("rss_kb.before"), after = m.get("rss_kb.after"), held = m.get("rss_kb.held");
  if (before > 0 && after > 0 && connected > 0) {
    res["rss_per_conn_kb"] = round3((after - before) / connected);
    if (held > 0) res["rss_per_conn_kb_after_hold"] = round3((held - before) / connected);
  }
  if (m.get("connect_failed") > 0) {
    r.ok = false;
    r.problems.push_back(std::to_string(static_cast<long>(m.get("connect_failed"))) + " sockets failed to connect");
  }
  if (m.get("closed_by_server") > 0) {
    r.ok = false;
    r.problems.push_back("the server closed sockets during the hold");
  }
  return r;
}

}  // namespace nb
