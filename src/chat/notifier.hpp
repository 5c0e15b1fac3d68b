#pragma once
// Notifier: how the chat use cases tell connected clients about changes. Implemented by
// realtime/ (Socket.IO). REST and socket paths call the same use cases, so both notify alike.
#include <string>

#include "chat/types.hpp"

namespace chat {

class Notifier {
 public:
  virtual ~Notifier() = default;
  // A message was durably stored (new_message to both users, message_notification to others).
  virtual void message_sent(const AppendResult& r) = 0;
  // `email` marked the conversation read (marked_as_read to every participant).
  virtual void marked_read(const Conversation& c, const std::string& email) = 0;
};

class NullNotifier final : public Notifier {
 public:
  void message_sent(const AppendResult&) override {}
  void marked_read(const Conversation&, const std::string&) override {}
};

}  // namespace chat
