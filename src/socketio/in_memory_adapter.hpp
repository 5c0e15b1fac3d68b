#pragma once
// The in-process Adapter: room membership in hash maps under one mutex.
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "socketio/adapter.hpp"

namespace socketio {

class InMemoryAdapter : public Adapter {
 public:
  void add_socket(const SocketPtr& socket) override;
  void remove_socket(const Socket& socket) override;
  void join(const Socket& socket, std::string_view room) override;
  void leave(const Socket& socket, std::string_view room) override;
  std::vector<std::string> rooms_of(const Socket& socket) const override;
  std::vector<SocketPtr> sockets(const BroadcastTarget& target) const override;
  bool may_reach(const BroadcastTarget& target) const override;
  void broadcast(const BroadcastPacket& packet) override;

  // Sockets in `room` (an id counts as a room of one). Thread-safe.
  std::size_t room_size(std::string_view room) const;

 private:
  struct Entry {
    SocketPtr socket;
    std::vector<std::string> rooms;  // joined rooms, excluding the implicit own-id room
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Members = std::unordered_map<const Socket*, SocketPtr>;
  std::vector<SocketPtr> select(const BroadcastTarget& target) const;  // REQUIRES(mu_)

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> by_id_;     // GUARDED_BY(mu_)
  std::unordered_map<std::string, Members, Hash, std::equal_to<>> rooms_;  // GUARDED_BY(mu_)
};

}  // namespace socketio
