#pragma once
// Vocabulary shared by the generator: target address, clock, options common to every scenario,
// small coroutine helpers.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <string>

#include "base/asio.hpp"

namespace nb {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using base::awaitable;

// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine, so a timestamp taken
// in one generator process can be compared with one taken in another.
inline std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline double seconds_since(std::int64_t t0) { return static_cast<double>(now_ns() - t0) / 1e9; }

// The server under test. Only loopback addresses are accepted (see parse_target).
struct Target {
  std::string url;          // as given
  std::string host_header;  // "127.0.0.1:8000"
  tcp::endpoint endpoint;
  std::string sio_path = "/socket.io/";
  unsigned source_addrs = 1;  // >1: client sockets bind to 127.0.0.1 .. 127.0.0.<n> (more ports)
};

// Parses http://HOST:PORT[/]; throws std::invalid_argument unless HOST is a loopback address.
Target parse_target(const std::string& url);

// Options that every scenario takes.
struct Common {
  std::string url = "http://127.0.0.1:8000";
  std::string server = "";  // label written to the JSON line ("natter", "peer", ...)
  std::string sio_path = "/socket.io/";
  unsigned procs = 1;         // generator processes
  double duration = 5;        // measured seconds
  double warmup = 1;          // seconds before measuring
  int server_pid = 0;         // >0: read its VmRSS at each barrier
  std::string run_id;         // makes user e-mails unique per run (random when empty)
  unsigned connect_concurrency = 64;  // concurrent socket handshakes per process
  unsigned login_concurrency = 16;    // concurrent login requests per process
  unsigned source_addrs = 1;
  double drain_timeout = 10;  // seconds to wait for in-flight work after the measured window
  double max_runtime = 600;   // hard stop for the whole run (seconds)
  bool verbose = false;
};

// A unique-enough run id (time + pid based, 6 base-36 characters).
std::string make_run_id();

// Raises RLIMIT_NOFILE to its hard limit; returns the new soft limit.
std::uint64_t raise_fd_limit();

// VmRSS of a process in KiB, or -1.
long read_rss_kb(int pid);
// CPU time (user + system) a process has used so far, in seconds, or -1.
double read_cpu_s(int pid);

// Sleeps on the current executor.
awaitable<void> sleep_for(double seconds);
// Polls `pred` every `poll_ms` until it holds or `timeout_s` passes. Returns pred().
awaitable<bool> wait_until(std::function<bool()> pred, double timeout_s, double poll_ms = 1);
// Runs f(0..n-1) with at most `concurrency` calls in flight; rethrows the first exception.
awaitable<void> parallel_for(std::size_t n, unsigned concurrency,
                             std::function<awaitable<void>(std::size_t)> f);

}  // namespace nb
