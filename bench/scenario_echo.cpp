// echo: raw WebSocket against an echo server (no Engine.IO/Socket.IO, no chat API): the ceilings
// that the WebSocket layer alone allows on this machine.
//  roundtrip: S sockets keep W frames in flight each; echoes/s and round-trip latency (beside
//             `pairs`).
//  connect:   `idle` without login, Engine.IO or Socket.IO: S sockets, each connect proven by one
//             echoed frame; connects/s, connect latency, CPU per connect (beside `idle`).
// (fanout, beside `fanout --mode tabs`: scenario_fanout.cpp.)
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

Target on_path(Target t, const std::string& path) {
  t.sio_path = path;
  return t;
}

// Raw WebSocket clients for this worker's share of `sockets`, tagged 0.. in order; with `probe`,
// each connect completes once a frame of `size` characters came back.
std::vector<std::shared_ptr<SioClient>> raw_clients(Worker& w, unsigned sockets, SioHandler* h,
                                                    bool probe, unsigned size) {
  auto [b, e] = w.share(sockets);
  std::vector<std::shared_ptr<SioClient>> clients;
  for (std::size_t i = b; i < e; ++i) {
    auto s = std::make_shared<SioClient>(w.ioc, w.target, std::string(), h, i - b,
                                         static_cast<unsigned>(i));
    s->set_raw(true, probe ? stamp_text(i, 0, 0, size) : std::string());
    clients.push_back(std::move(s));
  }
  return clients;
}

Report echo_report(const char* scenario, const Common& c, const EchoOptions& o, unsigned sockets) {
  Report r = make_report(scenario, c);
  r.params["path"] = o.path;
  r.params["sockets"] = sockets;
  r.params["size"] = o.size;
  return r;
}

}  // namespace

Report run_echo(const Common& c, const Target& t0, const EchoOptions& o) {
  const unsigned sockets = o.sockets ? o.sockets : 50;
  const Target t = on_path(t0, o.path);
  WorkFn work = [&](Worker& w) -> awaitable<Partial> {
    Partial p;
    EchoRun run(o, p);
    run.socks = raw_clients(w, sockets, &run, false, o.size);
    run.next_seq.assign(run.socks.size(), 0);
    run.expect_seq.assign(run.socks.size(), 0);
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
  Report r = echo_report("echo", c, o, sockets);
  r.params["window"] = o.window;
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
  if (m.get("sent") != m.get("received")) r.fail("echoes missing");
  if (m.get("received") == 0) r.fail("nothing echoed");
  return r;
}

Report run_echo_connect(const Common& c, const Target& t0, const EchoOptions& o) {
  const unsigned sockets = o.sockets ? o.sockets : 5000;
  const Target t = on_path(t0, o.path);
  WorkFn work = [&](Worker& w) -> awaitable<Partial> {
    Partial p;
    CountingHandler handler;
    auto clients = raw_clients(w, sockets, &handler, true, o.size);
    co_await connect_and_hold(w, clients, handler, p, o.settle, o.hold);
    co_return p;
  };
  Partial m = run_workers(c, t, work);
  Report r = echo_report("echo-connect", c, o, sockets);
  r.params["hold_s"] = o.hold;
  put_connects(r, m, o.hold);
  return r;
}

}  // namespace nb
