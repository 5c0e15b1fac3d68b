// presence: N users with one socket each connect one after another (or `concurrency` at a time per
// worker). A server that announces every arrival to every socket sends N(N-1)/2 user_online
// frames; we measure the time until the last one arrived and the frames/s received.
#include "http_client.hpp"
#include "scenario_util.hpp"
#include "scenarios.hpp"

namespace nb {
namespace {

enum Slot : std::size_t { kFrames = 0 };

class Counter : public SioHandler {
 public:
  explicit Counter(Shared& s) : s_(s) {}
  std::uint64_t online = 0, offline = 0, other = 0, closed = 0;
  std::int64_t last_frame_ns = 0;
  void on_event(SioClient&, std::string_view name, std::string_view) override {
    if (name == "user_online") {
      ++online;
      last_frame_ns = now_ns();
      s_.slot[kFrames].fetch_add(1, std::memory_order_relaxed);
    } else if (name == "user_offline") {
      ++offline;
    } else {
      ++other;
    }
  }
  void on_closed(SioClient&, std::string_view) override { ++closed; }

 private:
  Shared& s_;
};

}  // namespace

Report run_presence(const Common& c, const Target& t, const PresenceOptions& o) {
  WorkFn work = [&](Worker& w) -> awaitable<Partial> {
    Partial p;
    Shared& s = *w.shared;
    auto [b, e] = w.share(o.users);
    std::vector<std::string> emails;
    for (std::size_t i = b; i < e; ++i) emails.push_back(bench_email(w.common, "pres", i));
    auto tokens = co_await login_all(w.target, emails, w.common.login_concurrency);
    Counter counter(s);
    std::vector<std::shared_ptr<SioClient>> clients;
    for (std::size_t i = b; i < e; ++i)
      clients.push_back(std::make_shared<SioClient>(w.ioc, w.target, tokens[i - b], &counter, i,
                                                    static_cast<unsigned>(i)));
    co_await w.barrier("before");
    auto t0 = now_ns();
    auto ok = co_await connect_all(w, clients, p, "handshake", std::max(1u, o.concurrency));
    p.set_max("connect_s", seconds_since(t0));
    p.add("connected", static_cast<double>(ok));
    co_await w.barrier("connected");
    // Wait for the announcements still on their way: until all expected frames arrived, or the
    // count has not moved for a second, or the drain timeout.
    const auto expected = static_cast<std::int64_t>(o.users) * (o.users - 1) / 2;
    auto last = s.slot[kFrames].load();
    auto last_change = now_ns();
    auto deadline = now_ns() + static_cast<std::int64_t>(w.common.drain_timeout * 1e9);
    while (now_ns() < deadline) {
      auto cur = s.slot[kFrames].load();
      if (cur >= expected) break;
      if (cur != last) {
        last = cur;
        last_change = now_ns();
      } else if (now_ns() - last_change > 1'000'000'000) {
        break;
      }
      co_await sleep_for(0.002);
    }
    co_await w.barrier("drained");
    p.set_max("total_s", static_cast<double>(std::max(counter.last_frame_ns, t0) - t0) / 1e9);
    p.add("frames_online", static_cast<double>(counter.online));
    p.add("frames_offline", static_cast<double>(counter.offline));
    p.add("other_events", static_cast<double>(counter.other));
    p.add("closed", static_cast<double>(counter.closed));
    co_return p;
  };
  Partial m = run_workers(c, t, work);
  Report r = make_report("presence", c);
  r.params["users"] = o.users;
  r.params["concurrency"] = o.concurrency;
  auto& res = r.results;
  double frames = m.get("frames_online");
  double total = std::max(m.get("total_s"), m.get("connect_s"));
  res["connected"] = m.get("connected");
  res["connect_s"] = round3(m.get("connect_s"));
  res["connects_per_s"] = m.get("connect_s") > 0 ? std::round(m.get("connected") / m.get("connect_s")) : 0.0;
  res["total_s"] = round3(total);
  res["frames_received"] = frames;
  res["frames_expected_all"] = static_cast<double>(o.users) * (o.users - 1) / 2;
  res["frames_per_s"] = total > 0 ? std::round(frames / total) : 0.0;
  for (const char* k : {"frames_offline", "other_events", "closed", "connect_failed"}) res[k] = m.get(k);
  put_latency(res, "handshake", m, "handshake");
  put_rss(res, m);
  put_cpu_between(res, m, "before", "drained", total);
  if (m.get("connect_failed") > 0) {
    r.ok = false;
    r.problems.push_back("sockets failed to connect");
  }
  return r;
}

}  // namespace nb
