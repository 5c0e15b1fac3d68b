#pragma once
// A pool of single-threaded io_contexts, one thread each ("thread per core"). A connection is
// placed on one context for its whole life, so its handlers never run concurrently (the context
// is its strand) and never migrate between threads; work for a connection on another thread is
// posted to that context. Cheaper than strands over one shared io_context: no strand locks, no
// handler hand-offs between threads, one epoll set per thread.
#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "base/asio.hpp"

namespace base {

class IoPool {
 public:
  explicit IoPool(unsigned threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  // Context 0: runs on the thread that calls run(); listeners, signals and timers go here.
  asio::io_context& main() { return *contexts_.front(); }
  asio::io_context& at(std::size_t i) { return *contexts_[i]; }
  // Round-robin choice of a context for a new connection. Thread-safe.
  asio::any_io_executor next();

  // Runs context 0 on the calling thread and every other context on its own thread; returns once
  // all have stopped (after stop(), or when they run out of work).
  void run();
  // Stops every context. Thread-safe.
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace base
