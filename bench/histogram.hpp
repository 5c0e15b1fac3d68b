#pragma once
// Latency histogram: log-linear buckets over nanoseconds (128 linear sub-buckets per power of two,
// so any recorded value is reported within 0.8 %). Fixed size, mergeable across processes and
// serialisable as a sparse JSON list. Not thread-safe: one per event loop.
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>

namespace nb {

class Histogram {
 public:
  static constexpr int kSubBits = 7;                         // 128 sub-buckets
  static constexpr int kBuckets = (64 - kSubBits + 1) * 64;  // enough for any uint64 value

  void record(std::int64_t ns);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // Value at quantile q in [0, 1] (the midpoint of the bucket holding it; exact for min/max).
  std::int64_t quantile(double q) const;

  boost::json::value to_json() const;
  static Histogram from_json(const boost::json::value& v);

  static int index_of(std::uint64_t v);
  static std::uint64_t lowest_of(int index);
  static std::uint64_t highest_of(int index);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
  long double sum_ = 0;  // ns; exact enough for a mean
};

}  // namespace nb
