#include "common.hpp"

#include <boost/asio/steady_timer.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <memory>
#include <stdexcept>

namespace nb {

Target parse_target(const std::string& url) {
  Target t;
  t.url = url;
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos)
    throw std::invalid_argument("only http:// URLs are supported: " + url);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  std::string host, port = "80";
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("bad URL: " + url);
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  } else {
    host = rest;
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("host must be a numeric loopback address: " + url);
  if (!addr.is_loopback())
    throw std::invalid_argument("refusing a non-loopback target (benchmarks stay on this machine): " + url);
  unsigned long p = std::stoul(port);
  if (p == 0 || p > 65535) throw std::invalid_argument("bad port: " + url);
  t.endpoint = tcp::endpoint(addr, static_cast<unsigned short>(p));
  t.host_header = (addr.is_v6() ? "[" + host + "]" : host) + ":" + port;
  return t;
}

std::string make_run_id() {
  std::uint64_t x = static_cast<std::uint64_t>(now_ns()) ^ (static_cast<std::uint64_t>(getpid()) << 32);
  x ^= static_cast<std::uint64_t>(time(nullptr)) * 0x9E3779B97F4A7C15ull;
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  for (int i = 0; i < 6; ++i) {
    s += digits[x % 36];
    x /= 36;
  }
  return s;
}

std::uint64_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

long read_rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double read_cpu_s(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = all.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(all.substr(paren + 2));
  std::string field;
  // Fields after the command: state(3) ... utime(14) stime(15); we start at field 3.
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

awaitable<void> sleep_for(double seconds) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9)));
  co_await t.async_wait(base::as_result);
}

awaitable<bool> wait_until(std::function<bool()> pred, double timeout_s, double poll_ms) {
  auto deadline = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!pred()) {
    if (now_ns() >= deadline) co_return pred();
    t.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(poll_ms * 1000)));
    co_await t.async_wait(base::as_result);
  }
  co_return true;
}

awaitable<void> parallel_for(std::size_t n, unsigned concurrency,
                             std::function<awaitable<void>(std::size_t)> f) {
  struct State {
    std::size_t next = 0;
    std::size_t running = 0;
    std::exception_ptr error;
  };
  auto st = std::make_shared<State>();
  auto ex = co_await asio::this_coro::executor;
  std::size_t workers = std::min<std::size_t>(n, std::max(1u, concurrency));
  st->running = workers;
  for (std::size_t w = 0; w < workers; ++w) {
    asio::co_spawn(
        ex,
        [st, n, f]() -> awaitable<void> {
          while (!st->error && st->next < n) co_await f(st->next++);
        },
        [st](std::exception_ptr e) {
          if (e && !st->error) st->error = e;
          --st->running;
        });
  }
  co_await wait_until([st] { return st->running == 0; }, 1e9, 1);
  if (st->error) std::rethrow_exception(st->error);
}

}  // namespace nb
