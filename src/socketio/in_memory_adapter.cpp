#include "socketio/in_memory_adapter.hpp"

#include <algorithm>
#include <unordered_set>

#include "socketio/socket.hpp"

namespace socketio {

void InMemoryAdapter::add_socket(const SocketPtr& socket) {
  std::lock_guard lk(mu_);
  by_id_.try_emplace(socket->id(), Entry{socket, {}});
}

void InMemoryAdapter::remove_socket(const Socket& socket) {
  SocketPtr keep;  // released outside the lock
  std::lock_guard lk(mu_);
  auto it = by_id_.find(socket.id());
  if (it == by_id_.end() || it->second.socket.get() != &socket) return;
  for (auto& room : it->second.rooms) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) continue;
    r->second.erase(&socket);
    if (r->second.empty()) rooms_.erase(r);
  }
  keep = std::move(it->second.socket);
  by_id_.erase(it);
}

void InMemoryAdapter::join(const Socket& socket, std::string_view room) {
  std::lock_guard lk(mu_);
  auto it = by_id_.find(socket.id());
  if (it == by_id_.end() || it->second.socket.get() != &socket) return;
  if (room == socket.id()) return;  // implicit
  auto& rooms = it->second.rooms;
  if (std::find(rooms.begin(), rooms.end(), room) != rooms.end()) return;
  rooms.emplace_back(room);
  auto r = rooms_.find(room);
  if (r == rooms_.end()) r = rooms_.emplace(std::string(room), Members{}).first;
  r->second.emplace(&socket, it->second.socket);
}

void InMemoryAdapter::leave(const Socket& socket, std::string_view room) {
  std::lock_guard lk(mu_);
  auto it = by_id_.find(socket.id());
  if (it == by_id_.end() || it->second.socket.get() != &socket) return;
  auto& rooms = it->second.rooms;
  auto pos = std::find(rooms.begin(), rooms.end(), room);
  if (pos == rooms.end()) return;
  rooms.erase(pos);
  auto r = rooms_.find(room);
  if (r == rooms_.end()) return;
  r->second.erase(&socket);
  if (r->second.empty()) rooms_.erase(r);
}

std::vector<std::string> InMemoryAdapter::rooms_of(const Socket& socket) const {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  auto it = by_id_.find(socket.id());
  if (it == by_id_.end()) return out;
  out.reserve(1 + it->second.rooms.size());
  out.push_back(socket.id());
  out.insert(out.end(), it->second.rooms.begin(), it->second.rooms.end());
  return out;
}

std::size_t InMemoryAdapter::room_size(std::string_view room) const {
  std::lock_guard lk(mu_);
  auto r = rooms_.find(room);
  if (r != rooms_.end()) return r->second.size();
  return by_id_.find(room) != by_id_.end() ? 1 : 0;
}

std::vector<SocketPtr> InMemoryAdapter::select(const BroadcastTarget& t) const {
  // Sockets to skip: members of the except rooms, and sockets named by id.
  std::unordered_set<const Socket*> skip;
  for (auto& ex : t.except) {
    if (auto r = rooms_.find(ex); r != rooms_.end())
      for (auto& [ptr, s] : r->second) skip.insert(ptr);
    if (auto s = by_id_.find(ex); s != by_id_.end()) skip.insert(s->second.socket.get());
  }
  std::vector<SocketPtr> out;
  if (t.rooms.empty()) {
    out.reserve(by_id_.size());
    for (auto& [id, e] : by_id_)
      if (!skip.contains(e.socket.get())) out.push_back(e.socket);
    return out;
  }
  auto add = [&](const Socket* p, const SocketPtr& s) {
    if (!skip.empty() && skip.contains(p)) return;
    out.push_back(s);
  };
  for (auto& room : t.rooms) {
    if (auto r = rooms_.find(room); r != rooms_.end()) {
      out.reserve(out.size() + r->second.size());
      for (auto& [ptr, s] : r->second) add(ptr, s);
    }
    if (auto s = by_id_.find(room); s != by_id_.end()) add(s->second.socket.get(), s->second.socket);
  }
  // A socket in several of the rooms is served once: sort by address and drop repeats (no
  // per-socket set node, as a hash set would allocate).
  if (t.rooms.size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

bool InMemoryAdapter::may_reach(const BroadcastTarget& target) const {
  std::lock_guard lk(mu_);
  if (target.rooms.empty()) return !by_id_.empty();
  // A room exists only while it has members; exclusions are not looked at (an upper bound).
  return std::any_of(target.rooms.begin(), target.rooms.end(), [&](const std::string& room) {
    return rooms_.contains(room) || by_id_.contains(room);
  });
}

std::vector<SocketPtr> InMemoryAdapter::sockets(const BroadcastTarget& target) const {
  std::lock_guard lk(mu_);
  return select(target);
}

void InMemoryAdapter::broadcast(const BroadcastPacket& packet) {
  std::vector<SocketPtr> targets;
  {
    std::lock_guard lk(mu_);
    targets = select(packet.target);
  }
  Socket::send_encoded_to(std::move(targets), packet.frames);
}

}  // namespace socketio
