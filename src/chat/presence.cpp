#include "chat/presence.hpp"

namespace chat {

bool LocalPresence::socket_connected(const std::string& email, UnixMillis now) {
  std::lock_guard lk(mu_);
  auto& e = users_[email];
  if (++e.sockets != 1) return false;
  e.changed = now;
  return true;
}

bool LocalPresence::socket_disconnected(const std::string& email, UnixMillis now) {
  std::lock_guard lk(mu_);
  auto it = users_.find(email);
  if (it == users_.end() || it->second.sockets == 0) return false;
  if (--it->second.sockets > 0) return false;
  it->second.changed = now;
  return true;
}

bool LocalPresence::is_online(std::string_view email) const {
  std::lock_guard lk(mu_);
  auto it = users_.find(std::string(email));
  return it != users_.end() && it->second.sockets > 0;
}

std::optional<UnixMillis> LocalPresence::last_change(std::string_view email) const {
  std::lock_guard lk(mu_);
  auto it = users_.find(std::string(email));
  if (it == users_.end()) return std::nullopt;
  return it->second.changed;
}

std::vector<std::string> LocalPresence::online_among(const std::vector<std::string>& emails) const {
  std::vector<std::string> out;
  std::lock_guard lk(mu_);
  for (auto& e : emails)
    if (auto it = users_.find(e); it != users_.end() && it->second.sockets > 0) out.push_back(e);
  return out;
}

std::vector<std::string> LocalPresence::all_online() const {
  std::vector<std::string> out;
  std::lock_guard lk(mu_);
  for (auto& [e, entry] : users_)
    if (entry.sockets > 0) out.push_back(e);
  return out;
}

}  // namespace chat
