// natter-bench: a load generator for servers implementing the Chat Socket Backend API
// (REST under /api, Socket.IO v5 over Engine.IO v4 WebSocket). One JSON line per scenario on
// stdout, a readable table on stderr. See docs/BENCHMARKS.md.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "scenarios.hpp"

namespace {

// 1-minute load average: other work on the machine skews every number, so each line records it.
double loadavg1() {
  double v = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &v) != 1) v = -1;
    std::fclose(f);
  }
  return v;
}

void add_common(CLI::App* sub, nb::Common& c) {
  sub->add_option("--url", c.url, "server base URL (loopback only)")->capture_default_str();
  sub->add_option("--server", c.server, "label for the JSON line (e.g. natter, peer)");
  sub->add_option("--sio-path", c.sio_path, "Socket.IO path")->capture_default_str();
  sub->add_option("--procs", c.procs, "generator processes (each <= 20k files)")->capture_default_str()->check(CLI::Range(1, 64));
  sub->add_option("--duration", c.duration, "measured seconds")->capture_default_str();
  sub->add_option("--warmup", c.warmup, "seconds of load before measuring")->capture_default_str();
  sub->add_option("--server-pid", c.server_pid, "read this process's VmRSS at each phase");
  sub->add_option("--run-id", c.run_id, "user e-mail prefix (random by default)");
  sub->add_option("--connect-concurrency", c.connect_concurrency, "socket handshakes in flight per process")->capture_default_str();
  sub->add_option("--login-concurrency", c.login_concurrency, "login requests in flight per process")->capture_default_str();
  sub->add_option("--source-addrs", c.source_addrs, "bind client sockets over 127.0.0.1..N (more than ~28k connections)")->capture_default_str();
  sub->add_option("--drain-timeout", c.drain_timeout, "seconds to wait for in-flight work after the window")->capture_default_str();
  sub->add_option("--max-runtime", c.max_runtime, "hard limit for the whole run, seconds")->capture_default_str();
  sub->add_flag("-v,--verbose", c.verbose, "log details to stderr");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"natter-bench: load generator for the Chat Socket Backend API (REST + Socket.IO)"};
  app.require_subcommand(1);
  nb::Common common;
  nb::IdleOptions idle;
  nb::PairsOptions pairs;
  nb::FanoutOptions fanout;
  nb::PresenceOptions presence;
  nb::RestOptions rest;
  nb::EchoOptions echo;

  auto* s_idle = app.add_subcommand("idle", "hold N authenticated sockets: connects/s, handshake latency, server RSS per socket");
  add_common(s_idle, common);
  s_idle->add_option("--sockets,-n", idle.sockets, "sockets to open")->capture_default_str();
  s_idle->add_option("--sockets-per-user", idle.sockets_per_user, "sockets per logged-in user")->capture_default_str();
  s_idle->add_option("--hold", idle.hold, "seconds to hold them")->capture_default_str();
  s_idle->add_option("--settle", idle.settle, "seconds after connecting before reading RSS")->capture_default_str();

  auto* s_pairs = app.add_subcommand("pairs", "P sender/recipient pairs, W messages in flight each: msgs/s and latency");
  add_common(s_pairs, common);
  s_pairs->add_option("--pairs,-p", pairs.pairs, "pairs")->capture_default_str();
  s_pairs->add_option("--window,-w", pairs.window, "messages in flight per pair")->capture_default_str();
  s_pairs->add_option("--size", pairs.size, "minimum message length")->capture_default_str();

  auto* s_fan = app.add_subcommand("fanout", "one event to many sockets: --mode presence (probe user) or tabs (one user, K sockets)");
  add_common(s_fan, common);
  s_fan->add_option("--mode", fanout.mode, "presence | tabs")->capture_default_str();
  s_fan->add_option("--sockets", fanout.sockets, "presence: receiving sockets")->capture_default_str();
  s_fan->add_option("--sockets-per-user", fanout.sockets_per_user, "presence: sockets per receiving user")->capture_default_str();
  s_fan->add_option("--cycle-timeout", fanout.cycle_timeout, "seconds for one event to reach every socket")->capture_default_str();
  s_fan->add_option("--tabs", fanout.tabs, "tabs: sockets of the receiving user")->capture_default_str();
  s_fan->add_option("--window,-w", fanout.window, "tabs: messages in flight")->capture_default_str();
  s_fan->add_option("--size", fanout.size, "tabs: minimum message length")->capture_default_str();

  auto* s_pres = app.add_subcommand("presence", "N users connect one after another: total time and presence frames/s");
  add_common(s_pres, common);
  s_pres->add_option("--users,-n", presence.users, "users (one socket each)")->capture_default_str();
  s_pres->add_option("--concurrency", presence.concurrency, "handshakes in flight per process")->capture_default_str();

  auto* s_rest = app.add_subcommand("rest", "C keep-alive HTTP clients per endpoint: req/s and latency");
  add_common(s_rest, common);
  s_rest->add_option("--clients,-c", rest.clients, "concurrent clients")->capture_default_str();
  s_rest->add_option("--users", rest.users, "distinct users shared by the clients")->capture_default_str();
  s_rest->add_option("--contacts", rest.contacts, "conversations per user")->capture_default_str();
  s_rest->add_option("--seed-messages", rest.seed_messages, "messages in the history that is read")->capture_default_str();
  s_rest->add_option("--endpoints", rest.endpoints, "me,conversations,messages,send")->delimiter(',')->capture_default_str();
  s_rest->add_option("--rate", rest.rate, "open loop: requests/s across all clients (latency from the scheduled send); 0: closed loop")
      ->check(CLI::NonNegativeNumber)->capture_default_str();

  auto* s_echo = app.add_subcommand("echo", "raw WebSocket server natter-echo (no chat API): round trips, "
                                             "connects or group fan-out: the ceilings beside natter");
  add_common(s_echo, common);
  s_echo->add_option("--mode", echo.mode, "roundtrip (S sockets, W frames in flight each) | connect (open S "
                                          "sockets, each proven by one echoed frame, hold) | fanout (1 sender, "
                                          "K receivers on /group/<run id>, W messages in flight)")
      ->check(CLI::IsMember({"roundtrip", "connect", "fanout"}))
      ->capture_default_str();
  s_echo->add_option("--path", echo.path, "roundtrip, connect: WebSocket path")->capture_default_str();
  s_echo->add_option("--sockets,-n", echo.sockets, "roundtrip: sockets (0: 50); connect: sockets (0: 5000)")->capture_default_str();
  s_echo->add_option("--window,-w", echo.window, "roundtrip: frames in flight per socket; fanout: messages in flight")->capture_default_str();
  s_echo->add_option("--receivers,-k", echo.receivers, "fanout: sockets that get every message")->capture_default_str();
  s_echo->add_option("--size", echo.size, "minimum frame length")->capture_default_str();
  s_echo->add_option("--hold", echo.hold, "connect: seconds to hold the sockets")->capture_default_str();
  s_echo->add_option("--settle", echo.settle, "connect: seconds after connecting before reading RSS")->capture_default_str();
  s_echo->add_option("--cycle-timeout", echo.cycle_timeout, "fanout: seconds for one message to reach every receiver")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  try {
    if (common.run_id.empty()) common.run_id = nb::make_run_id();
    auto limit = nb::raise_fd_limit();
    nb::Target target = nb::parse_target(common.url);
    target.sio_path = common.sio_path;
    target.source_addrs = std::max(1u, common.source_addrs);
    if (common.verbose) std::fprintf(stderr, "open files limit: %llu\n", static_cast<unsigned long long>(limit));
    nb::Report report;
    double load_start = loadavg1();
    if (s_idle->parsed()) report = nb::run_idle(common, target, idle);
    else if (s_pairs->parsed()) report = nb::run_pairs(common, target, pairs);
    else if (s_fan->parsed()) report = nb::run_fanout(common, target, fanout);
    else if (s_pres->parsed()) report = nb::run_presence(common, target, presence);
    else if (s_rest->parsed()) report = nb::run_rest(common, target, rest);
    else if (echo.mode == "connect") report = nb::run_echo_connect(common, target, echo);
    else if (echo.mode == "fanout") report = nb::run_echo_fanout(common, target, echo);
    else report = nb::run_echo(common, target, echo);
    report.results["loadavg_1m"] = boost::json::object{{"start", load_start}, {"end", loadavg1()}};
    std::cout << report.json_line() << std::endl;
    std::cerr << report.table() << std::flush;
    std::fflush(nullptr);
    // Thousands of sockets may still be open: let the kernel close them.
    std::_Exit(report.ok ? 0 : 3);
  } catch (const std::exception& e) {
    std::cerr << "natter-bench: " << e.what() << std::endl;
    std::fflush(nullptr);
    std::_Exit(1);
  }
}
