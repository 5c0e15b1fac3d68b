#pragma once
// Who is online: a user is online while at least one of their sockets is connected.
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"

namespace chat {

using base::UnixMillis;

class Presence {
 public:
  virtual ~Presence() = default;
  virtual bool is_online(std::string_view email) const = 0;
  // When the user last came online or went offline in this process, if they did. The store
  // persists the same time asynchronously; this answers before that write commits.
  virtual std::optional<UnixMillis> last_change(std::string_view email) const = 0;
};

// In-process presence: a socket count per user. Thread-safe.
class LocalPresence final : public Presence {
 public:
  // Returns true when this is the user's first socket (the user just came online at `now`).
  bool socket_connected(const std::string& email, UnixMillis now);
  // Returns true when this was the user's last socket (the user just went offline at `now`).
  bool socket_disconnected(const std::string& email, UnixMillis now);
  bool is_online(std::string_view email) const override;
  std::optional<UnixMillis> last_change(std::string_view email) const override;
  std::vector<std::string> online_among(const std::vector<std::string>& emails) const;
  std::vector<std::string> all_online() const;

 private:
  struct Entry {
    int sockets = 0;
    UnixMillis changed = 0;
  };
  mutable std::mutex mu_;
  // Users seen since start; kept at 0 sockets for last_change(). GUARDED_BY(mu_)
  std::unordered_map<std::string, Entry> users_;
};

}  // namespace chat
