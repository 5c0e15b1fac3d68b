// fsync-latency: what a durable acknowledgement costs on this disk, without SQLite or natter.
// Writes one record (a commit's worth of WAL frames) and fdatasyncs it, over and over, at a fixed
// pace, and prints the fdatasync latency distribution as one JSON line. Options model what the
// store does around its commits:
//   --append          records go to the end of a growing file (a WAL that has not restarted:
//                     each fdatasync also commits the file's new size); default: overwrite a
//                     preallocated region in a loop (a restarted WAL)
//   --checkpoint-pages N  a second thread writes N random 4 KiB pages into another file and fsyncs
//                     it every --checkpoint-ms (a WAL checkpoint copying pages into the database)
// Files go to --dir (default: the current directory) and are removed at the end.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int open_or_die(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  return fd;
}

bool write_all(int fd, const char* p, std::size_t n, off_t at) {
  while (n > 0) {
    auto w = ::pwrite(fd, p, n, at);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
    at += w;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "fdatasync latency of small appends or overwrites, optionally beside a checkpoint-like "
      "writer"};
  std::string dir = ".";
  unsigned records = 3000, record_kb = 12, interval_us = 500, checkpoint_pages = 0,
           checkpoint_ms = 100;
  bool append = false;
  app.add_option("--dir", dir, "directory for the two scratch files");
  app.add_option("--records", records, "records written and synced")
      ->check(CLI::Range(1u, 10000000u));
  app.add_option("--record-kb", record_kb, "KiB per record (a commit's frames)")
      ->check(CLI::Range(1u, 4096u));
  app.add_option("--interval-us", interval_us, "pause after each fdatasync");
  app.add_flag("--append", append, "grow the file instead of overwriting a preallocated region");
  app.add_option("--checkpoint-pages", checkpoint_pages,
                 "random 4 KiB pages per background round (0: none)");
  app.add_option("--checkpoint-ms", checkpoint_ms, "pause between background rounds")
      ->check(CLI::Range(1u, 100000u));
  CLI11_PARSE(app, argc, argv);

  const std::string log_path = dir + "/fsync-latency.log", db_path = dir + "/fsync-latency.db";
  const int fd = open_or_die(log_path);
  const std::string record(std::size_t{record_kb} * 1024, 'x');
  constexpr unsigned kRegion = 1000;  // records in the overwritten region
  if (!append) {
    for (unsigned i = 0; i < kRegion; ++i)
      if (!write_all(fd, record.data(), record.size(),
                     static_cast<off_t>(i) * static_cast<off_t>(record.size())))
        return std::perror("write"), 1;
    ::fsync(fd);
  }

  std::atomic<bool> stop{false};
  std::thread background;
  if (checkpoint_pages > 0) {
    background = std::thread([&] {
      const int db = open_or_die(db_path);
      const std::string page(4096, 'p');
      std::mt19937 rng(42);
      std::uniform_int_distribution<off_t> pick(0, 16383);  // a 64 MiB database
      while (!stop.load()) {
        for (unsigned i = 0; i < checkpoint_pages; ++i)
          if (!write_all(db, page.data(), page.size(), pick(rng) * 4096)) break;
        ::fsync(db);
        std::this_thread::sleep_for(std::chrono::milliseconds(checkpoint_ms));
      }
      ::close(db);
    });
  }

  std::vector<double> lat;
  lat.reserve(records);
  off_t at = 0;
  for (unsigned i = 0; i < records; ++i) {
    const auto t = Clock::now();
    if (!write_all(fd, record.data(), record.size(), at)) return std::perror("write"), 1;
    at += static_cast<off_t>(record.size());
    if (!append && at >= static_cast<off_t>(kRegion) * static_cast<off_t>(record.size())) at = 0;
    if (::fdatasync(fd) != 0) return std::perror("fdatasync"), 1;
    lat.push_back(ms_since(t));
    if (interval_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(interval_us));
  }
  stop = true;
  if (background.joinable()) background.join();
  ::close(fd);
  ::unlink(log_path.c_str());
  ::unlink(db_path.c_str());

  std::sort(lat.begin(), lat.end());
  auto q = [&](double f) {
    return lat[std::min(lat.size() - 1,
                        static_cast<std::size_t>(f * static_cast<double>(lat.size())))];
  };
  std::printf(
      "{\"tool\":\"fsync-latency\",\"append\":%s,\"record_kb\":%u,\"records\":%u,\"checkpoint_"
      "pages\":%u,"
      "\"checkpoint_ms\":%u,\"fdatasync_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,"
      "\"max\":%.3f}}\n",
      append ? "true" : "false", record_kb, records, checkpoint_pages, checkpoint_ms, q(0.5),
      q(0.9), q(0.99), q(0.999), lat.back());
  return 0;
}
