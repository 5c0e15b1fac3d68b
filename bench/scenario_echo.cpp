// echo: raw WebSocket round trips against an echo server (no Engine.IO/Socket.IO, no chat API).
// S sockets keep W frames in flight each; measures echoes/s and round-trip latency: the ceiling
// that the WebSocket layer alone allows on this machine, for comparison with `pairs`.
#include "scenario_util.hpp"
#include "scenarios.hpp"

#include <boost/asio/steady_timer.hpp>

namespace nb {
namespace {

class EchoRun : public SioHandler {
 public:
  EchoRun(const EchoOptions& o, Partial& p) : o_(o), p_(p) {}
  std::vector<std::shared_ptr<SioClient>> socks;
  std::vector<std::uint64_t> next_seq, expect_seq;
  bool sending = false;
  std::int64_t t0 = INT64_MAX, t1 = INT64_MAX;
  std::uint64_t sent = 0, received = 0, in_window = 0, inflight = 0, reordered = 0, foreign = 0, closed = 0;

  void send_one(std::size_t i) {
    auto now = now_ns();
    socks[i]->send_text(stamp_text(i, next_seq[i]++, now, o_.size));
    ++sent;
    ++inflight;
  }
  void on_event(SioClient& c, std::string_view, std::string_view text) override {
    auto now = now_ns();
    std::uint64_t id = 0, seq = 0;
    std::int64_t ts = 0;
    auto i = static_cast<std::size_t>(c.tag());
    if (!parse_stamp(text, id, seq, ts) || id != i) {
      ++foreign;
      return;
    }
    if (seq != expect_seq[i]) ++reordered;
    expect_seq[i] = seq + 1;
    ++received;
    if (inflight) --inflight;
    if (now >= t0 && now < t1) ++in_window;
    if (ts >= t0) p_.h("latency").record(now - ts);
    if (sending) send_one(i);
  }
  void on_closed(SioClient&, std::string_view) override { ++closed; }

 private:
  const EchoOptions& o_;
  Partial& p_;
};

}  // namespace

Report run_echo(const Common& c, const Target& t0, const EchoOptions& o) {
  Target t = t0;
  t.sio_path = o.path;
  WorkFn work = [&](Worker& w) -> awaitable<Partial> {
    Partial p;
    auto [b, e] = w.share(o.sockets);
    EchoRun run(o, p);
    for (std::size_t i = b; i < e; ++i) {
      auto s = std::make_shared<SioClient>(w.ioc, w.target, std::string(), &run, i - b,
                                           static_cast<unsigned>(i));
      s->set_raw(true);
      run.socks.push_back(s);
    }
    run.next_seq.assign(e - b, 0);
    run.expect_seq.assign(e - b, 0);
    co_await connect_all(w, run.socks, p, "handshake");
    co_await w.barrier("connected");
    auto start = now_ns();
    run.t0 = start + static_cast<std::int64_t>(w.common.warmup * 1e9);
    run.t1 = run.t0 + static_cast<std::int64_t>(w.common.duration * 1e9);
    run.sending = true;
    for (std::size_t i = 0; i < run.socks.size(); ++i)
      if (run.socks[i]->is_open())
        for (unsigned j = 0; j < o.window; ++j) run.send_one(i);
    asio::steady_timer timer(w.ioc);
    timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(run.t1)));
    co_await timer.async_wait(base::as_result);
    run.sending = false;
    co_await w.barrier("window-end");
    co_await wait_until([&] { return run.inflight == 0; }, w.common.drain_timeout);
    p.add("sent", static_cast<double>(run.sent));
    p.add("received", static_cast<double>(run.received));
    p.add("received_in_window", static_cast<double>(run.in_window));
    p.add("reordered", static_cast<double>(run.reordered));
    p.add("foreign", static_cast<double>(run.foreign));
    p.add("closed", static_cast<double>(run.closed));
    co_await w.barrier("done");
    co_return p;
  };
  Partial m = run_workers(c, t, work);
  Report r = make_report("echo", c);
  r.params["path"] = o.path;
  r.params["sockets"] = o.sockets;
  r.params["window"] = o.window;
  r.params["size"] = o.size;
  r.params["duration_s"] = c.duration;
  r.params["warmup_s"] = c.warmup;
  auto& res = r.results;
  res["msgs_per_s"] = std::round(m.get("received_in_window") / c.duration);
  for (const char* k : {"sent", "received", "reordered", "foreign", "closed", "connect_failed"}) res[k] = m.get(k);
  res["lost"] = m.get("sent") - m.get("received");
  put_latency(res, "latency", m, "latency");
  put_latency(res, "handshake", m, "handshake");
  put_rss(res, m);
  put_cpu_between(res, m, "connected", "window-end", c.warmup + c.duration);
  if (m.get("sent") != m.get("received")) {
    r.ok = false;
    r.problems.push_back("echoes missing");
  }
  if (m.get("received") == 0) {
    r.ok = false;
    r.problems.push_back("nothing echoed");
  }
  return r;
}

}  // namespace nb
