#include "histogram.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <bit>
#include <cmath>

namespace nb {

// Values below 128 get one bucket each. Above, a value with its top bit at position msb is shifted
// right by (msb - 6) so that it lands in [64, 128): index = shift * 64 + (v >> shift).
int Histogram::index_of(std::uint64_t v) {
  if (v < (1u << kSubBits)) return static_cast<int>(v);
  int msb = 63 - std::countl_zero(v);
  int shift = msb - (kSubBits - 1);
  return shift * 64 + static_cast<int>(v >> shift);
}

std::uint64_t Histogram::lowest_of(int index) {
  if (index < (1 << kSubBits)) return static_cast<std::uint64_t>(index);
  int shift = index / 64 - 1;
  std::uint64_t m = static_cast<std::uint64_t>(index - shift * 64);
  return m << shift;
}

std::uint64_t Histogram::highest_of(int index) {
  if (index < (1 << kSubBits)) return static_cast<std::uint64_t>(index);
  int shift = index / 64 - 1;
  std::uint64_t m = static_cast<std::uint64_t>(index - shift * 64);
  return ((m + 1) << shift) - 1;
}

void Histogram::record(std::int64_t ns) {
  if (ns < 0) ns = 0;
  ++counts_[static_cast<std::size_t>(index_of(static_cast<std::uint64_t>(ns)))];
  ++count_;
  sum_ += ns;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void Histogram::merge(const Histogram& o) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::int64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (q <= 0) return min();
  if (q >= 1) return max_;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<std::size_t>(i)];
    if (seen >= rank) {
      auto mid = static_cast<std::int64_t>((lowest_of(i) + highest_of(i)) / 2);
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

boost::json::value Histogram::to_json() const {
  boost::json::array buckets;
  for (int i = 0; i < kBuckets; ++i) {
    auto c = counts_[static_cast<std::size_t>(i)];
    if (c) buckets.push_back(boost::json::array{i, c});
  }
  boost::json::object o;
  o["n"] = count_;
  o["min"] = min();
  o["max"] = max_;
  o["sum"] = static_cast<double>(sum_);
  o["b"] = std::move(buckets);
  return o;
}

Histogram Histogram::from_json(const boost::json::value& v) {
  Histogram h;
  const auto& o = v.as_object();
  h.count_ = o.at("n").to_number<std::uint64_t>();
  h.min_ = h.count_ ? o.at("min").to_number<std::int64_t>() : INT64_MAX;
  h.max_ = o.at("max").to_number<std::int64_t>();
  h.sum_ = o.at("sum").to_number<double>();
  for (const auto& b : o.at("b").as_array()) {
    const auto& pair = b.as_array();
    auto i = pair.at(0).to_number<int>();
    if (i >= 0 && i < kBuckets) h.counts_[static_cast<std::size_t>(i)] = pair.at(1).to_number<std::uint64_t>();
  }
  return h;
}

}  // namespace nb
