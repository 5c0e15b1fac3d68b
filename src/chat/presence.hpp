#pragma once
// Who is online: a user is online while at least one of their sockets is connected.
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chat {

class Presence {
 public:
  virtual ~Presence() = default;
  virtual bool is_online(std::string_view email) const = 0;
};

// In-process presence: a socket count per user. Thread-safe.
class LocalPresence final : public Presence {
 public:
  // Returns true when this is the user's first socket (the user just came online).
  bool socket_connected(const std::string& email);
  // Returns true when this was the user's last socket (the user just went offline).
  bool socket_disconnected(const std::string& email);
  bool is_online(std::string_view email) const override;
  std::vector<std::string> online_among(const std::vector<std::string>& emails) const;
  std::vector<std::string> all_online() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> sockets_;  // GUARDED_BY(mu_)
};

}  // namespace chat
