// fanout: one event reaching many sockets.
//  presence: S sockets held; a probe user connects and disconnects repeatedly; every socket should
//            get user_online / user_offline (needs a server that sends presence to everyone).
//  tabs:     one user with K sockets; another user sends messages (W in flight); each reaches K.
// echo --mode fanout: tabs against natter-echo: K raw WebSocket receivers and one sender on the
// same /group/ path (no login, Engine.IO, Socket.IO or store): the ceiling for tabs.
// The sockets are spread over the worker processes; worker 0 runs the probe / the sender and
// learns about deliveries in other processes through counters in shared memory.
#include "http_client.hpp"
#include "scenario_util.hpp"
#include "scenarios.hpp"

#include <deque>

namespace nb {
namespace {

// Shared slots.
enum Slot : std::size_t {
  kStop = 0,          // 1: worker 0 is done
  kOnlineCount = 1,   // deliveries in the current probe cycle
  kOfflineCount = 2,
  kOnlineAt = 3,      // ns when the probe began connecting / closing
  kOfflineAt = 4,
  kMeasuring = 5,     // 1 while deliveries count towards the results
};

class PresenceReceivers : public SioHandler {
 public:
  PresenceReceivers(Shared& s, Partial& p, std::string probe) : s_(s), p_(p), probe_(std::move(probe)) {}
  std::uint64_t other = 0, closed = 0, seen_online = 0, seen_offline = 0;

  void on_event(SioClient&, std::string_view name, std::string_view data) override {
    bool on = name == "user_online";
    if (!on && name != "user_offline") {
      ++other;
      return;
    }
    auto now = now_ns();
    // Cheap pre-filter: the probe's address must appear in the payload.
    if (data.find(probe_) == std::string_view::npos) {
      ++other;
      return;
    }
    auto email = parse_email(data);
    if (!email || *email != probe_) {
      ++other;
      return;
    }
    auto at = s_.slot[on ? kOnlineAt : kOfflineAt].load(std::memory_order_acquire);
    s_.slot[on ? kOnlineCount : kOfflineCount].fetch_add(1, std::memory_order_acq_rel);
    (on ? seen_online : seen_offline)++;
    if (s_.slot[kMeasuring].load(std::memory_order_relaxed))
      p_.h(on ? "online" : "offline").record(now - at);
  }
  void on_closed(SioClient&, std::string_view) override { ++closed; }

 private:
  Shared& s_;
  Partial& p_;
  std::string probe_;
};

class Quiet : public SioHandler {
 public:
  void on_event(SioClient&, std::string_view, std::string_view) override {}
};

awaitable<Partial> fanout_presence(Worker& w, const FanoutOptions& o) {
  Partial p;
  Shared& s = *w.shared;
  const unsigned spu = std::max(1u, o.sockets_per_user);
  auto [b, e] = w.share(o.sockets);
  std::size_t ub = b / spu, ue = e == b ? ub : (e - 1) / spu + 1;
  std::vector<std::string> emails;
  for (std::size_t u = ub; u < ue; ++u) emails.push_back(bench_email(w.common, "fan", u));
  std::string probe_email = bench_email(w.common, "probe", 0);
  if (w.index == 0) emails.push_back(probe_email);
  auto tokens = co_await login_all(w.target, emails, w.common.login_concurrency);
  PresenceReceivers rx(s, p, probe_email);
  std::vector<std::shared_ptr<SioClient>> clients;
  for (std::size_t i = b; i < e; ++i)
    clients.push_back(std::make_shared<SioClient>(w.ioc, w.target, tokens[i / spu - ub], &rx, i,
                                                  static_cast<unsigned>(i)));
  co_await connect_all(w, clients, p, "handshake");
  co_await w.barrier("connected");
  co_await sleep_for(0.5);  // let the set-up's own presence traffic settle
  co_await w.barrier("settled");

  const auto S = static_cast<std::int64_t>(o.sockets);
  if (w.index == 0) {
    Quiet quiet;
    const std::string& probe_token = tokens.back();
    s.slot[kMeasuring] = 1;
    auto start = now_ns();
    auto end = start + static_cast<std::int64_t>(w.common.duration * 1e9);
    std::uint64_t cycles = 0, timeouts = 0;
    while (now_ns() < end) {
      s.slot[kOnlineCount] = 0;
      s.slot[kOnlineAt].store(now_ns(), std::memory_order_release);
      auto probe = std::make_shared<SioClient>(w.ioc, w.target, probe_token, &quiet, 0, 0);
      auto cr = co_await probe->connect();
      if (!cr.ok) throw std::runtime_error("probe connect failed: " + cr.error);
      probe->start_reading();
      auto t_on = s.slot[kOnlineAt].load();
      bool ok1 = co_await wait_until([&] { return s.slot[kOnlineCount].load() >= S; }, o.cycle_timeout, 0.1);
      p.h("cycle_online").record(now_ns() - t_on);
      s.slot[kOfflineCount] = 0;
      s.slot[kOfflineAt].store(now_ns(), std::memory_order_release);
      auto t_off = now_ns();
      probe->close();
      bool ok2 = co_await wait_until([&] { return s.slot[kOfflineCount].load() >= S; }, o.cycle_timeout, 0.1);
      p.h("cycle_offline").record(now_ns() - t_off);
      probe.reset();
      ++cycles;
      if (!ok1 || !ok2) {
        ++timeouts;
        if (s.slot[kOnlineCount].load() == 0 && s.slot[kOfflineCount].load() == 0) break;  // not delivered at all
      }
    }
    s.slot[kMeasuring] = 0;
    p.set_max("elapsed_s", seconds_since(start));
    p.add("cycles", static_cast<double>(cycles));
    p.add("cycle_timeouts", static_cast<double>(timeouts));
    s.slot[kStop] = 1;
  } else {
    co_await wait_until([&] { return s.slot[kStop].load() == 1; }, w.common.max_runtime, 1);
  }
  co_await w.barrier("done");
  p.add("deliveries_online", static_cast<double>(rx.seen_online));
  p.add("deliveries_offline", static_cast<double>(rx.seen_offline));
  p.add("other_events", static_cast<double>(rx.other));
  p.add("closed", static_cast<double>(rx.closed));
  co_return p;
}

// --- tabs -------------------------------------------------------------------------------------

enum TabSlot : std::size_t { kTabStop = 0, kTabT0 = 1, kTabT1 = 2 };

// A delivery carries the stamp "7:<seq>:<sent ns>": as the text of a new_message event, or
// (raw) as the frame itself.
class TabReceivers : public SioHandler {
 public:
  TabReceivers(Shared& s, Partial& p, std::size_t n, bool raw)
      : s_(s), latency_(p.h("latency")), last_(n, -1), local_(Shared::kRing),
        receivers_(static_cast<std::uint32_t>(n)), raw_(raw) {}
  std::uint64_t deliveries = 0, in_window = 0, duplicates = 0, reordered = 0, foreign = 0, other = 0,
                closed = 0;

  void on_event(SioClient& c, std::string_view name, std::string_view data) override {
    if (raw_) {
      record(c, data, now_ns());
      return;
    }
    if (name != "new_message") {
      ++other;
      return;
    }
    auto now = now_ns();
    auto m = parse_message(data);
    if (!m) {
      ++foreign;
      return;
    }
    record(c, m->text, now);
  }
  void on_closed(SioClient&, std::string_view) override { ++closed; }

 private:
  void record(SioClient& c, std::string_view text, std::int64_t now) {
    std::uint64_t tag = 0, seq = 0;
    std::int64_t ts = 0;
    if (!parse_stamp(text, tag, seq, ts) || tag != 7) {
      ++foreign;
      return;
    }
    auto& last = last_[c.tag()];
    auto sseq = static_cast<std::int64_t>(seq);
    if (sseq == last) {
      ++duplicates;
      return;
    }
    if (sseq < last) ++reordered;
    last = std::max(last, sseq);
    // Counted here first; the ring shared by the generator processes (one cache line bounced
    // between cores per update) hears once per message, when all of this process's tabs have it.
    auto& l = local_[seq % Shared::kRing];
    if (l.seq != seq) l = Local{seq, 0};
    if (++l.n == receivers_)
      s_.ring[seq % Shared::kRing].fetch_add(receivers_, std::memory_order_acq_rel);
    ++deliveries;
    auto t0 = s_.slot[kTabT0].load(std::memory_order_relaxed);
    auto t1 = s_.slot[kTabT1].load(std::memory_order_relaxed);
    if (t0 && now >= t0 && now < t1) ++in_window;
    if (t0 && ts >= t0) latency_.record(now - ts);
  }

  struct Local {
    std::uint64_t seq = ~std::uint64_t{0};
    std::uint32_t n = 0;
  };
  Shared& s_;
  Histogram& latency_;
  std::vector<std::int64_t> last_;
  std::vector<Local> local_;  // this process's count per message, by seq % kRing
  std::uint32_t receivers_;
  bool raw_;
};

// raw: the sockets are raw WebSockets on a natter-echo group (Target::sio_path), the messages
// plain text frames; otherwise chat users.
awaitable<Partial> fanout_tabs(Worker& w, const FanoutOptions& o, bool raw) {
  Partial p;
  Shared& s = *w.shared;
  auto [b, e] = w.share(o.tabs);
  std::string tab_email = bench_email(w.common, "tabuser", 0);
  std::vector<std::string> tokens(2);  // receivers', sender's
  if (!raw) {
    std::vector<std::string> emails{tab_email};
    if (w.index == 0) emails.push_back(bench_email(w.common, "tabsender", 0));
    tokens = co_await login_all(w.target, emails, w.common.login_concurrency);
  }
  auto client = [&](const std::string& token, SioHandler* h, std::size_t tag, std::size_t src) {
    auto c = std::make_shared<SioClient>(w.ioc, w.target, token, h, tag, static_cast<unsigned>(src));
    c->set_raw(raw);
    return c;
  };
  TabReceivers rx(s, p, e - b, raw);
  std::vector<std::shared_ptr<SioClient>> clients;
  for (std::size_t i = b; i < e; ++i) clients.push_back(client(tokens[0], &rx, i - b, i));
  Quiet quiet;
  std::shared_ptr<SioClient> sender;
  if (w.index == 0) {
    sender = client(tokens[1], &quiet, 0, 0);
    clients.push_back(sender);
  }
  co_await connect_all(w, clients, p, "handshake");
  co_await w.barrier("connected");

  const auto K = static_cast<std::uint32_t>(o.tabs);
  if (w.index == 0) {
    auto start = now_ns();
    auto t0 = start + static_cast<std::int64_t>(w.common.warmup * 1e9);
    auto t1 = t0 + static_cast<std::int64_t>(w.common.duration * 1e9);
    s.slot[kTabT1] = t1;
    s.slot[kTabT0] = t0;
    struct InFlight {
      std::uint64_t seq;
      std::int64_t sent_at;
    };
    std::deque<InFlight> inflight;
    std::uint64_t next = 0, sent = 0, complete = 0, incomplete = 0, sent_in_window = 0;
    std::uint64_t window = std::min<std::uint64_t>(o.window, Shared::kRing / 2);
    auto send = [&] {
      auto now = now_ns();
      s.ring[next % Shared::kRing].store(0, std::memory_order_release);
      std::string text = stamp_text(7, next, now, o.size);
      if (raw)
        sender->send_text(std::move(text));
      else
        sender->emit("send_message", send_payload(tab_email, text));
      inflight.push_back({next, now});
      ++next;
      ++sent;
      if (now >= t0 && now < t1) ++sent_in_window;
    };
    for (std::uint64_t i = 0; i < window; ++i) send();
    asio::steady_timer tick(w.ioc);
    auto limit = static_cast<std::int64_t>(o.cycle_timeout * 1e9);
    for (;;) {
      auto now = now_ns();
      bool sending = now < t1;
      while (!inflight.empty()) {
        auto& f = inflight.front();
        bool done = s.ring[f.seq % Shared::kRing].load(std::memory_order_acquire) >= K;
        bool expired = !done && now - f.sent_at > limit;
        if (!done && !expired) break;
        (done ? complete : incomplete)++;
        inflight.pop_front();
        if (sending) send();
      }
      if (!sending && inflight.empty()) break;
      if (!sending && now > t1 + static_cast<std::int64_t>(w.common.drain_timeout * 1e9)) break;
      tick.expires_after(std::chrono::microseconds(100));
      co_await tick.async_wait(base::as_result);
    }
    p.set_max("elapsed_s", seconds_since(start));
    p.add("messages_sent", static_cast<double>(sent));
    p.add("messages_sent_in_window", static_cast<double>(sent_in_window));
    p.add("messages_complete", static_cast<double>(complete));
    p.add("messages_incomplete", static_cast<double>(incomplete + inflight.size()));
    s.slot[kTabStop] = 1;
  } else {
    co_await wait_until([&] { return s.slot[kTabStop].load() == 1; }, w.common.max_runtime, 1);
  }
  co_await w.barrier("done");
  p.add("deliveries", static_cast<double>(rx.deliveries));
  p.add("deliveries_in_window", static_cast<double>(rx.in_window));
  p.add("duplicates", static_cast<double>(rx.duplicates));
  p.add("reordered", static_cast<double>(rx.reordered));
  p.add("foreign", static_cast<double>(rx.foreign));
  p.add("other_events", static_cast<double>(rx.other));
  p.add("closed", static_cast<double>(rx.closed));
  co_return p;
}

// The results of a tabs run (fanout --mode tabs, echo --mode fanout).
void put_tabs(Report& r, const Partial& m, const FanoutOptions& o, const Common& c) {
  auto& res = r.results;
  r.params["window"] = o.window;
  r.params["size"] = o.size;
  r.params["duration_s"] = c.duration;
  r.params["warmup_s"] = c.warmup;
  double expected = m.get("messages_sent") * o.tabs;
  res["deliveries_per_s"] = std::round(m.get("deliveries_in_window") / c.duration);
  res["msgs_per_s"] = std::round(m.get("messages_sent_in_window") / c.duration);
  for (const char* k : {"messages_sent", "messages_complete", "messages_incomplete", "deliveries",
                        "duplicates", "reordered", "foreign", "other_events", "closed", "connect_failed"})
    res[k] = m.get(k);
  res["lost"] = expected - m.get("deliveries");
  put_latency(res, "latency", m, "latency");
  put_latency(res, "handshake", m, "handshake");
  put_rss(res, m);
  put_cpu_between(res, m, "connected", "done", m.get("elapsed_s"));
  if (expected - m.get("deliveries") > 0) r.fail("lost deliveries");
  if (m.get("duplicates") > 0) r.fail("duplicate deliveries");
  if (m.get("reordered") > 0) r.fail("out-of-order deliveries on a socket");
  if (m.get("deliveries") == 0) r.fail("nothing delivered");
}

}  // namespace

Report run_fanout(const Common& c, const Target& t, const FanoutOptions& o) {
  bool tabs = o.mode == "tabs";
  if (!tabs && o.mode != "presence") throw std::invalid_argument("--mode must be presence or tabs");
  WorkFn work = [&](Worker& w) { return tabs ? fanout_tabs(w, o, false) : fanout_presence(w, o); };
  Partial m = run_workers(c, t, work);
  Report r = make_report(tabs ? "fanout-tabs" : "fanout-presence", c);
  auto& res = r.results;
  if (tabs) {
    r.params["tabs"] = o.tabs;
    put_tabs(r, m, o, c);
  } else {
    r.params["sockets"] = o.sockets;
    r.params["sockets_per_user"] = o.sockets_per_user;
    r.params["duration_s"] = c.duration;
    double d = m.get("deliveries_online") + m.get("deliveries_offline");
    double el = m.get("elapsed_s");
    res["deliveries_per_s"] = el > 0 ? std::round(d / el) : 0.0;
    res["cycles"] = m.get("cycles");
    res["cycle_timeouts"] = m.get("cycle_timeouts");
    res["deliveries"] = d;
    res["expected"] = m.get("cycles") * 2 * o.sockets;
    res["elapsed_s"] = round3(el);
    for (const char* k : {"other_events", "closed", "connect_failed"}) res[k] = m.get(k);
    put_latency(res, "online", m, "online");
    put_latency(res, "offline", m, "offline");
    put_latency(res, "cycle_online", m, "cycle_online");
    put_latency(res, "cycle_offline", m, "cycle_offline");
    put_latency(res, "handshake", m, "handshake");
    put_rss(res, m);
    put_cpu_between(res, m, "settled", "done", el);
    if (d == 0) r.fail("no presence event reached the sockets (server not in global presence mode?)");
    else if (m.get("cycle_timeouts") > 0) r.fail("some presence events did not reach every socket in time");
  }
  if (m.get("connect_failed") > 0) r.fail("sockets failed to connect");
  return r;
}

Report run_echo_fanout(const Common& c, const Target& t0, const EchoOptions& o) {
  FanoutOptions fo;
  fo.mode = "tabs";
  fo.tabs = o.receivers;
  fo.window = o.window;
  fo.size = o.size;
  fo.cycle_timeout = o.cycle_timeout;
  Target t = t0;
  t.sio_path = "/group/nb-" + c.run_id;  // this run's own group
  WorkFn work = [&](Worker& w) { return fanout_tabs(w, fo, true); };
  Partial m = run_workers(c, t, work);
  Report r = make_report("echo-fanout", c);
  r.params["path"] = t.sio_path;
  r.params["receivers"] = o.receivers;
  put_tabs(r, m, fo, c);
  if (m.get("connect_failed") > 0) r.fail("sockets failed to connect");
  return r;
}

}  // namespace nb
