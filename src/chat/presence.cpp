#include "chat/presence.hpp"

namespace chat {

bool LocalPresence::socket_connected(const std::string& email) {
  std::lock_guard lk(mu_);
  return ++sockets_[email] == 1;
}

bool LocalPresence::socket_disconnected(const std::string& email) {
  std::lock_guard lk(mu_);
  auto it = sockets_.find(email);
  if (it == sockets_.end()) return false;
  if (--it->second > 0) return false;
  sockets_.erase(it);
  return true;
}

bool LocalPresence::is_online(std::string_view email) const {
  std::lock_guard lk(mu_);
  return sockets_.find(std::string(email)) != sockets_.end();
}

std::vector<std::string> LocalPresence::online_among(const std::vector<std::string>& emails) const {
  std::vector<std::string> out;
  std::lock_guard lk(mu_);
  for (auto& e : emails)
    if (sockets_.count(e)) out.push_back(e);
  return out;
}

std::vector<std::string> LocalPresence::all_online() const {
  std::vector<std::string> out;
  std::lock_guard lk(mu_);
  out.reserve(sockets_.size());
  for (auto& [e, n] : sockets_) out.push_back(e);
  return out;
}

}  // namespace chat
