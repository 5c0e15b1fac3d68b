// idle: log in users, open authenticated sockets, hold them; connects/s, handshake latency, the
// CPU each connect cost the server and the generator, and the server's RSS per connection.
#include "scenario_util.hpp"
#include "scenarios.hpp"
#include "http_client.hpp"

namespace nb {

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
    co_await connect_and_hold(w, clients, handler, p, o.settle, o.hold);
    co_return p;
  };
  Partial m = run_workers(c, t, work);

  Report r = make_report("idle", c);
  r.params["sockets"] = o.sockets;
  r.params["users"] = (o.sockets + spu - 1) / spu;
  r.params["sockets_per_user"] = spu;
  r.params["hold_s"] = o.hold;
  r.results["login_s"] = round3(m.get("login_s"));
  put_connects(r, m, o.hold);
  return r;
}

}  // namespace nb
