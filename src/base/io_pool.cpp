#include "base/io_pool.hpp"

#include <algorithm>

namespace base {

IoPool::IoPool(unsigned threads) {
  threads = std::max(1u, threads);
  contexts_.reserve(threads);
  // Concurrency hint 1: each context is run by exactly one thread (other threads only post).
  for (unsigned i = 0; i < threads; ++i) contexts_.push_back(std::make_unique<asio::io_context>(1));
}

IoPool::~IoPool() = default;

asio::any_io_executor IoPool::next() {
  auto i = next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
  return contexts_[i]->get_executor();
}

void IoPool::run() {
  std::vector<std::thread> threads;
  threads.reserve(contexts_.size() - 1);
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    auto* ctx = contexts_[i].get();
    threads.emplace_back([ctx] {
      auto guard = asio::make_work_guard(*ctx);  // idle until stop()
      ctx->run();
    });
  }
  contexts_.front()->run();
  stop();
  for (auto& t : threads) t.join();
}

void IoPool::stop() {
  for (auto& c : contexts_) c->stop();
}

}  // namespace base
