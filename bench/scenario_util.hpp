#pragma once
// Helpers shared by the scenario implementations.
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"
#include "sio_client.hpp"
#include "worker.hpp"

namespace nb {

// "nb-<run>-<role><i>@example.com": unique per run, valid for servers that check e-mails.
std::string bench_email(const Common& c, std::string_view role, std::size_t i);

// Connects every client (Worker::common.connect_concurrency handshakes at a time), records the
// handshake latency into p.h(hist), counts failures as p.sum["connect_failed"], starts reading.
// Returns the number connected.
awaitable<std::size_t> connect_all(Worker& w, std::vector<std::shared_ptr<SioClient>>& clients,
                                   Partial& p, const std::string& hist, unsigned concurrency = 0);

// Counts what held sockets receive: events, and closes by the server.
class CountingHandler : public SioHandler {
 public:
  std::uint64_t events = 0;
  std::uint64_t closed = 0;
  void on_event(SioClient&, std::string_view, std::string_view) override { ++events; }
  void on_closed(SioClient&, std::string_view) override { ++closed; }
};

// Connects `clients` between the barriers "before" and "connected" (the connect phase alone),
// waits `settle` s until "after" (the RSS reading), holds them `hold` s until "held".
awaitable<void> connect_and_hold(Worker& w, std::vector<std::shared_ptr<SioClient>>& clients,
                                 const CountingHandler& handler, Partial& p, double settle,
                                 double hold);
// The results of connect_and_hold: connects/s, handshake latency, the CPU one connect cost the
// server and the generator, RSS per socket; fails the report on failed or closed sockets.
void put_connects(Report& r, const Partial& m, double hold);

// The field of a chat message payload that the scenarios use (the text carries their stamp).
// Views into the parsed JSON text (the usual compact payloads), or into `owned` when the values
// had to be unescaped by a full parse. Valid while that text (or this view's copy) lives.
struct MessageView {
  std::string_view text;  // "message"
  std::shared_ptr<const std::string> owned;
};
// Parses the JSON object of a new_message event (cheap: monotonic buffer on the stack).
std::optional<MessageView> parse_message(std::string_view json);
// The "email" field of a user_online / user_offline payload.
std::optional<std::string> parse_email(std::string_view json);

// Message text "<a>:<b>:<c>" followed by padding up to `size` characters.
std::string stamp_text(std::uint64_t a, std::uint64_t b, std::int64_t c, unsigned size);
// Parses the three leading numbers back; false when the text is not ours.
bool parse_stamp(std::string_view text, std::uint64_t& a, std::uint64_t& b, std::int64_t& c);

// {"to_email":"...","message":"...","message_type":"text"}
std::string send_payload(std::string_view to_email, std::string_view text);

// Converts a merged Partial + scenario keys into results; adds "latency" objects for hists.
void put_latency(boost::json::object& o, const char* key, const Partial& p, const std::string& h);

// Report skeleton with the common params.
Report make_report(const char* scenario, const Common& c);
// Server readings at the barriers when present: results.server_rss_kb.{barrier} and
// results.server_cpu_s.{barrier} (CPU seconds used since it started).
void put_rss(boost::json::object& results, const Partial& p);
// CPU seconds used between two barriers by the server (with --server-pid) and by the generator
// processes together; -1 where not read.
struct CpuUse {
  double server_s = -1;
  double generator_s = -1;
};
CpuUse cpu_between(const Partial& p, const char* from, const char* to);
// Server CPU cores used between two barriers: (cpu_s.to - cpu_s.from) / wall seconds; and the
// generator processes' own (generator_cpu_cores).
void put_cpu_between(boost::json::object& results, const Partial& p, const char* from,
                     const char* to, double wall_s);

double round3(double v);

}  // namespace nb
