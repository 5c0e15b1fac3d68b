#pragma once
// storage::Lru: a map that keeps its most recently used entries within a byte budget. Not
// thread-safe (ReadCache holds it under its mutex). Entry sizes are the caller's estimates.
#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace storage {

// Hash and the std::equal_to<> comparison may be transparent (find a std::string key by a
// std::string_view).
template <class K, class V, class Hash = std::hash<K>>
class Lru {
 public:
  explicit Lru(std::size_t budget_bytes) : budget_(budget_bytes) {}

  // The entry, now the most recently used; nullptr when absent.
  template <class Q>
  V* find(const Q& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->value;
  }

  // Inserts or replaces, then evicts the least recently used entries while over budget (an entry
  // larger than the whole budget is not kept).
  void put(const K& key, V value, std::size_t bytes) {
    if (auto it = index_.find(key); it != index_.end()) remove(it);
    if (bytes > budget_) return;
    order_.push_front(Node{key, std::move(value), bytes});
    index_.emplace(key, order_.begin());
    bytes_ += bytes;
    while (bytes_ > budget_) remove(index_.find(order_.back().key));
  }

  // Changes an entry in place without making it recent: `f(V&)` returns the entry's new size.
  // False when absent.
  template <class Q, class F>
  bool update(const Q& key, F&& f) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    Node& n = *it->second;
    bytes_ -= n.bytes;
    n.bytes = f(n.value);
    bytes_ += n.bytes;
    while (bytes_ > budget_ && !order_.empty()) remove(index_.find(order_.back().key));
    return true;
  }

  void clear() {
    index_.clear();
    order_.clear();
    bytes_ = 0;
  }

  std::size_t size() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Node {
    K key;
    V value;
    std::size_t bytes;
  };
  using Index = std::unordered_map<K, typename std::list<Node>::iterator, Hash, std::equal_to<>>;

  void remove(typename Index::iterator it) {
    bytes_ -= it->second->bytes;
    order_.erase(it->second);
    index_.erase(it);
  }

  std::size_t budget_;
  std::size_t bytes_ = 0;
  std::list<Node> order_;  // most recently used first
  Index index_;
};

}  // namespace storage
