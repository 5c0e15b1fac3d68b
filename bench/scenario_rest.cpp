// rest: C keep-alive HTTP clients, authenticated, one endpoint at a time for the measured window:
//   me             GET  /api/users/me
//   conversations  GET  /api/conversations                        (`contacts` + 1 conversations)
//   messages       GET  /api/conversations/{id}/messages?limit=50 (`seed_messages` stored)
//   send           POST /api/messages/send (JSON)                 (one stored message each)
// The clients share `users` users; worker 0 seeds their conversations first.
// Closed loop by default (each client sends its next request when the response arrived). With
// --rate R, open loop: client i of C sends one request every C/R s from start + i/R s, a client that
// fell behind sends at once (no request is skipped), and latency counts from the scheduled send
// time, so time spent waiting behind a slow server shows up as latency. Both loops count the
// requests sent within the measured window.
#include "http_client.hpp"
#include "scenario_util.hpp"
#include "scenarios.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cmath>

namespace nb {
namespace {

struct RestUser {
  std::string email, partner, token, conversation_id;
};

awaitable<void> seed_user(Worker& w, HttpClient& http, RestUser& u, const RestOptions& o,
                          std::size_t ui) {
  for (unsigned j = 0; j < o.contacts; ++j) {
    std::string contact = bench_email(w.common, "restc" + std::to_string(ui) + "x", j);
    co_await login(http, contact, "contact");
    auto r = co_await http.request(Method::post, "/api/messages/send", u.token, "application/json",
                                   send_payload(contact, "hello " + std::to_string(j)));
    if (r.status != 200) throw std::runtime_error("seed send failed: " + std::to_string(r.status) + " " + r.body + r.error);
  }
  for (unsigned j = 0; j < o.seed_messages; ++j) {
    auto r = co_await http.request(Method::post, "/api/messages/send", u.token, "application/json",
                                   send_payload(u.partner, "seed message " + std::to_string(j)));
    if (r.status != 200) throw std::runtime_error("seed send failed: " + std::to_string(r.status) + " " + r.body + r.error);
  }
}

}  // namespace

Report run_rest(const Common& c, const Target& t, const RestOptions& o) {
  for (const auto& e : o.endpoints)
    if (e != "me" && e != "conversations" && e != "messages" && e != "send")
      throw std::invalid_argument("unknown endpoint " + e + " (me, conversations, messages, send)");
  const unsigned U = std::max(1u, o.users);
  WorkFn work = [&](Worker& w) -> awaitable<Partial> {
    Partial p;
    std::vector<RestUser> users(U);
    std::vector<std::string> emails;
    for (unsigned u = 0; u < U; ++u) {
      users[u].email = bench_email(w.common, "rest", u);
      users[u].partner = bench_email(w.common, "restpeer", u);
      emails.push_back(users[u].email);
      emails.push_back(users[u].partner);
    }
    auto tokens = co_await login_all(w.target, emails, w.common.login_concurrency);
    for (unsigned u = 0; u < U; ++u) users[u].token = tokens[2 * u];
    if (w.index == 0) {
      auto t_seed = now_ns();
      std::vector<std::unique_ptr<HttpClient>> https;
      for (unsigned u = 0; u < U; ++u) https.push_back(std::make_unique<HttpClient>(w.ioc, w.target, u));
      co_await parallel_for(U, U, [&](std::size_t u) -> awaitable<void> {
        co_await seed_user(w, *https[u], users[u], o, u);
      });
      p.set_max("seed_s", seconds_since(t_seed));
    }
    co_await w.barrier("seeded");
    {
      HttpClient http(w.ioc, w.target);
      for (auto& u : users) {
        auto r = co_await http.request(Method::get, "/api/conversations", u.token, {}, {});
        if (r.status != 200) throw std::runtime_error("GET /api/conversations: " + std::to_string(r.status));
        auto list = boost::json::parse(r.body);
        for (const auto& cv : list.as_array()) {
          for (const auto& part : cv.at("participants").as_array())
            if (part.as_string() == u.partner) u.conversation_id = std::string(cv.at("conversation_id").as_string());
        }
        if (u.conversation_id.empty()) throw std::runtime_error("seeded conversation not found");
      }
    }
    auto [cb, ce] = w.share(o.clients);
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (std::size_t i = cb; i < ce; ++i)
      clients.push_back(std::make_unique<HttpClient>(w.ioc, w.target, static_cast<unsigned>(i)));
    for (const auto& ep : o.endpoints) {
      co_await w.barrier("start-" + ep);
      auto start = now_ns();
      auto t0 = start + static_cast<std::int64_t>(w.common.warmup * 1e9);
      auto t1 = t0 + static_cast<std::int64_t>(w.common.duration * 1e9);
      std::uint64_t ok = 0, errors = 0, backlog = 0;
      const bool open_loop = o.rate > 0;
      const std::int64_t interval =
          open_loop ? std::max<std::int64_t>(1, std::llround(o.clients / o.rate * 1e9)) : 0;
      std::string first_error;
      auto& hist = p.h(ep);
      co_await parallel_for(clients.size(), static_cast<unsigned>(clients.size()),
                            [&](std::size_t k) -> awaitable<void> {
        auto& http = *clients[k];
        const RestUser& u = users[(cb + k) % U];
        std::string messages_path = "/api/conversations/" + u.conversation_id + "/messages?limit=50";
        std::uint64_t n = 0;
        std::int64_t scheduled =
            open_loop ? start + std::llround(static_cast<double>(cb + k) / o.rate * 1e9) : 0;
        asio::steady_timer timer(w.ioc);
        for (;;) {
          auto sent = now_ns();
          if (open_loop && scheduled >= t1) break;
          if (open_loop && scheduled > sent) {
            timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(scheduled)));
            co_await timer.async_wait(base::as_result);
            sent = now_ns();
            if (sent >= t1) break;  // on time, the timer woke late
          }
          if (sent >= t1) {
            if (open_loop) backlog += static_cast<std::uint64_t>((t1 - scheduled + interval - 1) / interval);
            break;
          }
          // Open loop: the latency counts from the scheduled time, the wait behind a slow server too.
          auto before = open_loop ? scheduled : sent;
          scheduled += interval;
          HttpResult r;
          if (ep == "me") {
            r = co_await http.request(Method::get, "/api/users/me", u.token, {}, {});
          } else if (ep == "conversations") {
            r = co_await http.request(Method::get, "/api/conversations", u.token, {}, {});
          } else if (ep == "messages") {
            r = co_await http.request(Method::get, messages_path, u.token, {}, {});
          } else {
            r = co_await http.request(Method::post, "/api/messages/send", u.token, "application/json",
                                      send_payload(u.partner, "rest " + std::to_string(cb + k) + ":" + std::to_string(n++)));
          }
          auto after = now_ns();
          if (sent < t0) continue;
          if (r.status == 200) {
            ++ok;
            hist.record(after - before);
          } else {
            ++errors;
            if (first_error.empty())
              first_error = r.status ? std::to_string(r.status) + " " + r.body.substr(0, 200) : r.error;
            if (r.status == 0) co_await sleep_for(0.01);
          }
        }
      });
      co_await w.barrier("end-" + ep);
      p.add(ep + ".ok", static_cast<double>(ok));
      p.add(ep + ".errors", static_cast<double>(errors));
      p.add(ep + ".backlog", static_cast<double>(backlog));
      if (!first_error.empty()) {
        p.set_max(ep + ".had_errors", 1);
        if (w.common.verbose) std::fprintf(stderr, "[w%u] %s: first error: %s\n", w.index, ep.c_str(), first_error.c_str());
      }
    }
    co_await w.barrier("done");
    co_return p;
  };
  Partial m = run_workers(c, t, work);
  Report r = make_report("rest", c);
  r.params["clients"] = o.clients;
  r.params["users"] = U;
  r.params["contacts"] = o.contacts;
  r.params["seed_messages"] = o.seed_messages;
  r.params["duration_s"] = c.duration;
  r.params["warmup_s"] = c.warmup;
  if (o.rate > 0) r.params["rate"] = o.rate;
  boost::json::array eps;
  for (const auto& e : o.endpoints) eps.emplace_back(e);
  r.params["endpoints"] = eps;
  auto& res = r.results;
  double total = 0;
  for (const auto& ep : o.endpoints) {
    boost::json::object e;
    double ok = m.get(ep + ".ok");
    total += ok;
    if (o.rate > 0) {
      e["target_rate"] = o.rate;
      // Requests scheduled before the window's end but not sent by then: the server did not keep up.
      e["backlog"] = m.get(ep + ".backlog");
    }
    e["req_per_s"] = std::round(ok / c.duration);
    e["ok"] = ok;
    e["errors"] = m.get(ep + ".errors");
    put_latency(e, "latency", m, ep);
    put_cpu_between(e, m, ("start-" + ep).c_str(), ("end-" + ep).c_str(), c.warmup + c.duration);
    res[ep] = std::move(e);
    if (m.get(ep + ".errors") > 0) {
      r.ok = false;
      r.problems.push_back(ep + ": non-200 responses or transport errors");
    }
  }
  res["seed_s"] = round3(m.get("seed_s"));
  return r;
}

}  // namespace nb
