#include "worker.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <optional>
#include <stdexcept>
#include <vector>

namespace nb {

struct Worker::Link {
  int to_parent = -1;
  asio::posix::stream_descriptor from_parent;
  asio::streambuf in;
  Link(asio::io_context& ioc, int to, int from) : to_parent(to), from_parent(ioc, from) {}
};

Worker::Worker(const Common& c, const Target& t, unsigned i, unsigned n, Shared* s)
    : ioc(1), common(c), target(t), index(i), count(n), shared(s) {}

Worker::~Worker() = default;

namespace {

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("pipe write: ") + std::strerror(errno));
    }
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

void record_rss(Partial& p, const Common& c, const std::string& name) {
  if (c.server_pid <= 0) return;
  long kb = read_rss_kb(c.server_pid);
  if (kb >= 0) p.set_max("rss_kb." + name, static_cast<double>(kb));
  double cpu = read_cpu_s(c.server_pid);
  if (cpu >= 0) p.set_max("cpu_s." + name, cpu);
}

}  // namespace

awaitable<void> Worker::barrier(const std::string& name) {
  // This generator process's own CPU time, summed over workers: shows whether it could be the
  // bottleneck (compare with the server's).
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  extra.add("gen_cpu_s." + name, secs(ru.ru_utime) + secs(ru.ru_stime));
  if (!link) {
    record_rss(extra, common, name);
    co_return;
  }
  write_all(link->to_parent, "B " + name + "\n");
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(link->from_parent, link->in, '\n', base::as_result);
    if (ec) throw std::runtime_error("lost the parent process: " + ec.message());
    std::string line(static_cast<const char*>(link->in.data().data()), n);
    link->in.consume(n);
    if (line == "G\n") co_return;
  }
}

std::pair<std::size_t, std::size_t> Worker::share(std::size_t n) const {
  std::size_t begin = n * index / count;
  std::size_t end = n * (index + 1) / count;
  return {begin, end};
}

std::string Worker::user_prefix() const { return common.run_id + "p" + std::to_string(index); }

namespace {

Shared* map_shared() {
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap failed");
  return new (mem) Shared();
}

Partial drive(Worker& w, const WorkFn& work) {
  std::optional<Partial> out;
  std::exception_ptr err;
  asio::co_spawn(w.ioc, work(w), [&](std::exception_ptr e, Partial p) {
    if (e) err = e;
    else out = std::move(p);
    w.ioc.stop();
  });
  w.ioc.run();
  if (err) std::rethrow_exception(err);
  if (!out) throw std::runtime_error("scenario did not finish");
  out->merge(w.extra);
  return std::move(*out);
}

struct Child {
  pid_t pid = -1;
  int to = -1;    // parent → child
  int from = -1;  // child → parent
  std::string buf;
  std::string barrier;  // barrier it waits at
  std::optional<Partial> result;
  std::string error;
  bool eof = false;
};

}  // namespace

Partial run_workers(const Common& common, const Target& target, const WorkFn& work) {
  Shared* shared = map_shared();
  if (common.procs <= 1) {
    Worker w(common, target, 0, 1, shared);
    return drive(w, work);
  }
  std::cout.flush();
  std::cerr.flush();
  std::vector<Child> kids(common.procs);
  for (unsigned i = 0; i < common.procs; ++i) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      close(down[1]);
      close(up[0]);
      for (unsigned j = 0; j < i; ++j) {
        close(kids[j].to);
        close(kids[j].from);
      }
      int rc = 0;
      try {
        Worker w(common, target, i, common.procs, shared);
        w.link = std::make_unique<Worker::Link>(w.ioc, up[1], down[0]);
        Partial p = drive(w, work);
        write_all(up[1], "R " + boost::json::serialize(p.to_json()) + "\n");
      } catch (const std::exception& e) {
        std::string msg = e.what();
        for (auto& ch : msg)
          if (ch == '\n') ch = ' ';
        try {
          write_all(up[1], "E " + msg + "\n");
        } catch (...) {
        }
        rc = 1;
      }
      std::fflush(stderr);
      _exit(rc);  // no teardown of thousands of sockets: the kernel closes them
    }
    close(down[0]);
    close(up[1]);
    kids[i].pid = pid;
    kids[i].to = down[1];
    kids[i].from = up[0];
  }

  Partial parent;
  auto deadline = now_ns() + static_cast<std::int64_t>(common.max_runtime * 1e9);
  std::string failure;
  for (;;) {
    bool all_done = true;
    for (auto& k : kids)
      if (!k.eof) all_done = false;
    if (all_done) break;
    std::vector<pollfd> fds;
    std::vector<Child*> who;
    for (auto& k : kids) {
      if (k.eof) continue;
      fds.push_back({k.from, POLLIN, 0});
      who.push_back(&k);
    }
    int left_ms = static_cast<int>(std::max<std::int64_t>(0, (deadline - now_ns()) / 1'000'000));
    int r = poll(fds.data(), fds.size(), std::min(left_ms, 1000));
    if (r < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    if (now_ns() >= deadline) {
      failure = "run exceeded --max-runtime";
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& k = *who[i];
      char buf[65536];
      ssize_t n = read(k.from, buf, sizeof buf);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        k.eof = true;
        if (!k.result && k.error.empty()) k.error = "worker exited without a result";
        continue;
      }
      k.buf.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = k.buf.find('\n')) != std::string::npos) {
        std::string line = k.buf.substr(0, nl);
        k.buf.erase(0, nl + 1);
        if (line.rfind("B ", 0) == 0) {
          k.barrier = line.substr(2);
        } else if (line.rfind("R ", 0) == 0) {
          k.result = Partial::from_json(boost::json::parse(line.substr(2)).as_object());
        } else if (line.rfind("E ", 0) == 0) {
          k.error = line.substr(2);
        }
      }
    }
    for (auto& k : kids)
      if (!k.error.empty() && failure.empty()) failure = "worker " + std::to_string(&k - kids.data()) + ": " + k.error;
    if (!failure.empty()) break;
    // Barrier: every worker waits at the same name.
    bool same = !kids.empty();
    for (auto& k : kids)
      if (k.barrier.empty() || k.barrier != kids[0].barrier) same = false;
    if (same) {
      record_rss(parent, common, kids[0].barrier);
      for (auto& k : kids) {
        k.barrier.clear();
        write_all(k.to, "G\n");
      }
    }
  }
  if (!failure.empty()) {
    for (auto& k : kids) kill(k.pid, SIGKILL);
  }
  for (auto& k : kids) {
    int st = 0;
    waitpid(k.pid, &st, 0);
    close(k.to);
    close(k.from);
  }
  munmap(shared, sizeof(Shared));
  if (!failure.empty()) throw std::runtime_error(failure);
  for (auto& k : kids) parent.merge(*k.result);
  return parent;
}

}  // namespace nb
