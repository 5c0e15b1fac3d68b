#pragma once
// Generator processes. `--procs K` forks K workers before any I/O object exists; each runs its
// own single-threaded io_context over its share of the load. Workers meet at named barriers (the
// parent waits for all, reads the server's RSS, then lets them go) and send their Partial back
// over a pipe; the parent merges them. With K = 1 everything runs in this process.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common.hpp"
#include "result.hpp"

namespace nb {

// Counters in MAP_SHARED memory, visible to every worker (created before fork). Lock-free atomics
// only; slot meanings are chosen per scenario.
struct Shared {
  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kRing = 1 << 16;
  std::atomic<std::int64_t> slot[kSlots];
  std::atomic<std::uint32_t> ring[kRing];
};

class Worker {
 public:
  Worker(const Common& c, const Target& t, unsigned index, unsigned count, Shared* shared);
  ~Worker();

  asio::io_context ioc;
  Common common;
  Target target;
  unsigned index;  // 0 .. count-1
  unsigned count;
  Shared* shared;
  Partial extra;  // barrier readings when running in-process

  // Completes when every worker has reached the barrier `name` (the server's VmRSS is read then,
  // as max["rss_kb.<name>"], when --server-pid is given). Keeps serving other coroutines meanwhile.
  awaitable<void> barrier(const std::string& name);

  // This worker's share [begin, end) of n items (contiguous blocks).
  std::pair<std::size_t, std::size_t> share(std::size_t n) const;
  // A prefix that keeps e-mails unique per run and per worker: "<run>p<index>".
  std::string user_prefix() const;

  struct Link;  // pipe to the parent (multi-process mode)
  std::unique_ptr<Link> link;
};

using WorkFn = std::function<awaitable<Partial>(Worker&)>;

// Runs `work` on common.procs workers and returns the merged Partial (plus barrier readings).
// Throws std::runtime_error when a worker fails or the run exceeds common.max_runtime.
Partial run_workers(const Common& common, const Target& target, const WorkFn& work);

}  // namespace nb
