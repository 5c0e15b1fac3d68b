// pairs: P sender/recipient pairs, each sender keeping W messages in flight over its socket
// (send_message); a message is in flight until the recipient's new_message arrives. Measures
// delivered messages/s and send → new_message latency; checks loss, duplicates and order.
#include "http_client.hpp"
#include "scenario_util.hpp"
#include "scenarios.hpp"

#include <boost/asio/steady_timer.hpp>

namespace nb {
namespace {

struct Pair {
  std::string recipient_email;
  std::shared_ptr<SioClient> sender;
  std::shared_ptr<SioClient> recipient;
  std::uint64_t next_seq = 0;      // next sequence number to send
  std::uint64_t inflight = 0;
  std::uint64_t max_seen = 0;      // highest seq + 1 received
  std::vector<std::uint64_t> seen;  // bitset of received seqs
  bool mark(std::uint64_t seq) {    // false when already seen
    std::size_t word = seq / 64;
    if (word >= seen.size()) seen.resize(word + 1 + word / 2, 0);
    std::uint64_t bit = 1ull << (seq % 64);
    if (seen[word] & bit) return false;
    seen[word] |= bit;
    return true;
  }
};

class PairsRun : public SioHandler {
 public:
  PairsRun(const PairsOptions& o, Partial& p, std::size_t first) : o_(o), p_(p), first_(first) {}

  std::vector<Pair> pairs;
  bool sending = false;
  std::int64_t t0 = INT64_MAX;  // measured window [t0, t1)
  std::int64_t t1 = INT64_MAX;
  std::uint64_t inflight_total = 0;
  std::uint64_t sent = 0, sent_in_window = 0, delivered = 0, delivered_in_window = 0;
  std::uint64_t duplicates = 0, reordered = 0, foreign = 0, echoes = 0, notifications = 0,
                errors = 0, other = 0, closed = 0;
  std::string first_error;

  void send_one(Pair& pr, std::size_t local) {
    auto now = now_ns();
    std::string text = stamp_text(first_ + local, pr.next_seq++, now, o_.size);
    pr.sender->emit("send_message", send_payload(pr.recipient_email, text));
    ++pr.inflight;
    ++inflight_total;
    ++sent;
    if (now >= t0 && now < t1) ++sent_in_window;
  }

  void on_event(SioClient& c, std::string_view name, std::string_view data) override {
    std::size_t local = c.tag() / 2;
    bool is_recipient = c.tag() % 2 == 1;
    if (name == "new_message") {
      if (!is_recipient) {
        ++echoes;  // the server's copy to the sender's own sockets
        return;
      }
      on_delivery(local, data);
    } else if (name == "message_notification") {
      ++notifications;
    } else if (name == "error") {
      ++errors;
      if (first_error.empty()) first_error = std::string(data);
    } else {
      ++other;  // presence, etc.
    }
  }

  void on_closed(SioClient&, std::string_view) override { ++closed; }

 private:
  void on_delivery(std::size_t local, std::string_view data) {
    auto now = now_ns();
    auto m = parse_message(data);
    std::uint64_t pair_id = 0, seq = 0;
    std::int64_t ts = 0;
    if (!m || !parse_stamp(m->text, pair_id, seq, ts) || pair_id != first_ + local) {
      ++foreign;
      return;
    }
    Pair& pr = pairs[local];
    if (!pr.mark(seq)) {
      ++duplicates;
      return;
    }
    if (seq + 1 < pr.max_seen) ++reordered;  // an older message after a newer one
    pr.max_seen = std::max(pr.max_seen, seq + 1);
    ++delivered;
    if (now >= t0 && now < t1) ++delivered_in_window;
    if (ts >= t0) p_.h("latency").record(now - ts);
    if (pr.inflight) --pr.inflight;
    if (inflight_total) --inflight_total;
    if (sending) send_one(pr, local);
  }

  const PairsOptions& o_;
  Partial& p_;
  std::size_t first_;
};

}  // namespace

Report run_pairs(const Common& c, const Target& t, const PairsOptions& o) {
  WorkFn work = [&](Worker& w) -> awaitable<Partial> {
    Partial p;
    auto [b, e] = w.share(o.pairs);
    std::vector<std::string> emails;
    for (std::size_t i = b; i < e; ++i) {
      emails.push_back(bench_email(w.common, "s", i));
      emails.push_back(bench_email(w.common, "r", i));
    }
    auto tokens = co_await login_all(w.target, emails, w.common.login_concurrency);
    PairsRun run(o, p, b);
    run.pairs.resize(e - b);
    std::vector<std::shared_ptr<SioClient>> clients;
    for (std::size_t k = 0; k < e - b; ++k) {
      auto& pr = run.pairs[k];
      pr.recipient_email = emails[2 * k + 1];
      pr.sender = std::make_shared<SioClient>(w.ioc, w.target, tokens[2 * k], &run, 2 * k,
                                              static_cast<unsigned>(2 * k));
      pr.recipient = std::make_shared<SioClient>(w.ioc, w.target, tokens[2 * k + 1], &run,
                                                 2 * k + 1, static_cast<unsigned>(2 * k + 1));
      clients.push_back(pr.recipient);
      clients.push_back(pr.sender);
    }
    co_await connect_all(w, clients, p, "handshake");
    co_await w.barrier("connected");

    auto start = now_ns();
    run.t0 = start + static_cast<std::int64_t>(w.common.warmup * 1e9);
    run.t1 = run.t0 + static_cast<std::int64_t>(w.common.duration * 1e9);
    run.sending = true;
    for (std::size_t k = 0; k < run.pairs.size(); ++k)
      if (run.pairs[k].sender->is_open())
        for (unsigned j = 0; j < o.window; ++j) run.send_one(run.pairs[k], k);
    asio::steady_timer timer(w.ioc);
    timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(run.t1)));
    co_await timer.async_wait(base::as_result);
    run.sending = false;
    co_await w.barrier("window-end");
    auto t_drain = now_ns();
    bool drained = co_await wait_until([&] { return run.inflight_total == 0; }, w.common.drain_timeout);
    p.set_max("drain_s", seconds_since(t_drain));
    p.add("pairs", static_cast<double>(e - b));
    p.add("sent", static_cast<double>(run.sent));
    p.add("sent_in_window", static_cast<double>(run.sent_in_window));
    p.add("delivered", static_cast<double>(run.delivered));
    p.add("delivered_in_window", static_cast<double>(run.delivered_in_window));
    p.add("lost", static_cast<double>(run.sent - run.delivered));
    p.add("duplicates", static_cast<double>(run.duplicates));
    p.add("reordered", static_cast<double>(run.reordered));
    p.add("foreign", static_cast<double>(run.foreign));
    p.add("echoes", static_cast<double>(run.echoes));
    p.add("notifications", static_cast<double>(run.notifications));
    p.add("errors", static_cast<double>(run.errors));
    p.add("other_events", static_cast<double>(run.other));
    p.add("closed", static_cast<double>(run.closed));
    p.add("undrained_workers", drained ? 0 : 1);
    if (!run.first_error.empty() && w.common.verbose)
      std::fprintf(stderr, "[w%u] first error event: %s\n", w.index, run.first_error.c_str());
    co_await w.barrier("done");
    co_return p;
  };
  Partial m = run_workers(c, t, work);

  Report r = make_report("pairs", c);
  r.params["pairs"] = o.pairs;
  r.params["window"] = o.window;
  r.params["size"] = o.size;
  r.params["duration_s"] = c.duration;
  r.params["warmup_s"] = c.warmup;
  auto& res = r.results;
  res["msgs_per_s"] = std::round(m.get("delivered_in_window") / c.duration);
  res["sent_per_s"] = std::round(m.get("sent_in_window") / c.duration);
  for (const char* k : {"sent", "delivered", "lost", "duplicates", "reordered", "errors", "echoes",
                        "notifications", "foreign", "other_events", "connect_failed", "closed"})
    res[k] = m.get(k);
  res["drain_s"] = round3(m.get("drain_s"));
  put_latency(res, "latency", m, "latency");
  put_latency(res, "handshake", m, "handshake");
  put_rss(res, m);
  put_cpu_between(res, m, "connected", "window-end", c.warmup + c.duration);
  auto fail = [&](const std::string& s) {
    r.ok = false;
    r.problems.push_back(s);
  };
  if (m.get("lost") > 0) fail("lost " + std::to_string(static_cast<long>(m.get("lost"))) + " messages");
  if (m.get("duplicates") > 0) fail("duplicate deliveries");
  if (m.get("reordered") > 0) fail("messages out of order within a pair");
  if (m.get("errors") > 0) fail("server sent error events");
  if (m.get("connect_failed") > 0) fail("sockets failed to connect");
  if (m.get("delivered") == 0) fail("nothing delivered");
  return r;
}

}  // namespace nb
