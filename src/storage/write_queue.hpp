#pragma once
// BatchQueue<T>: a closable multi-producer queue drained in batches by one consumer (the writer
// thread of a group-committing store). Backend-neutral: no SQL here.
#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <iterator>
#include <mutex>
#include <vector>

namespace storage {

template <class T>
class BatchQueue {
 public:
  // Moves `item` into the queue and returns true; after close() returns false and leaves `item`
  // untouched, so the caller can fail it (outside any lock of ours).
  bool try_push(T& item) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }

  // Blocks until something is queued or the queue is closed, then takes up to `max` items in FIFO
  // order. Returns an empty vector only once the queue is closed and drained.
  std::vector<T> pop_batch(std::size_t max) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    const auto n = std::min(std::max<std::size_t>(max, 1), items_.size());
    std::vector<T> out;
    out.reserve(n);
    std::move(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(n),
              std::back_inserter(out));
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
  }

  // Stops accepting items; already queued items are still handed out by pop_batch. Idempotent.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace storage
