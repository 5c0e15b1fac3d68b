#include "socketio/socket.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>

#include "base/log.hpp"
#include "socketio/client.hpp"
#include "socketio/namespace.hpp"

namespace socketio {

namespace asio = boost::asio;

struct Socket::PendingAck {
  AckCallback callback;
  std::shared_ptr<asio::steady_timer> timer;
};

std::string_view to_string(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::client_namespace_disconnect: return "client namespace disconnect";
    case DisconnectReason::server_namespace_disconnect: return "server namespace disconnect";
    case DisconnectReason::forced_server_close: return "forced server close";
    case DisconnectReason::server_shutting_down: return "server shutting down";
    case DisconnectReason::transport_close: return "transport close";
    case DisconnectReason::transport_error: return "transport error";
    case DisconnectReason::ping_timeout: return "ping timeout";
    case DisconnectReason::parse_error: return "parse error";
    case DisconnectReason::forced_close: return "forced close";
    case DisconnectReason::slow_consumer: return "slow consumer";
  }
  return "unknown";
}

Socket::Socket(std::string id, Namespace& nsp, engineio::SessionPtr session,
               std::weak_ptr<Client> client, boost::json::object auth)
    : id_(std::move(id)),
      nsp_(&nsp),
      session_(std::move(session)),
      client_(std::move(client)),
      auth_(std::move(auth)) {}

Socket::~Socket() = default;

void Socket::on(std::string event, EventHandler handler) {
  if (!handlers_) handlers_ = std::make_unique<std::unordered_map<std::string, EventHandler>>();
  (*handlers_)[std::move(event)] = std::move(handler);
}

void Socket::on_disconnect(DisconnectHandler handler) { on_disconnect_ = std::move(handler); }

void Socket::send_encoded(const std::vector<engineio::Frame>& frames) {
  if (!connected()) return;
  if (frames.size() == 1)
    session_->send(frames.front());
  else
    session_->send(frames);
}

void Socket::send_encoded_here(const std::vector<engineio::Frame>& frames) {
  if (!connected()) return;
  session_->send_here(frames);
}

void Socket::send_encoded_to(std::vector<SocketPtr> targets,
                             const std::vector<engineio::Frame>& frames) {
  using ContextExecutor = asio::io_context::executor_type;
  // Sockets on strands (or other executors) get one dispatch each, which keeps the order of
  // frames for the caller's own socket. Sockets on single-threaded contexts (base::IoPool) are
  // grouped: one hand-off per context, inline for the caller's context.
  auto context_of = [](const SocketPtr& s) { return s->executor().target<ContextExecutor>(); };
  auto hand_off = [&frames](const ContextExecutor& ex, std::vector<SocketPtr> group,
                            bool detach) {
    // Runs on the sockets' own single-threaded context: they are written to in place. When
    // several threads share the broadcast, each gets frames of its own (detached: a few hundred
    // bytes copied) instead of all queueing copies that share one atomic reference count.
    std::vector<engineio::Frame> mine;
    if (detach) {
      mine.reserve(frames.size());
      for (const auto& f : frames) mine.push_back(f.detached());
    } else {
      mine = frames;
    }
    asio::dispatch(ex, [group = std::move(group), fs = std::move(mine)]() {
      for (auto& s : group) s->send_encoded_here(fs);
    });
  };
  if (targets.empty()) return;
  // Most broadcasts reach sockets of one context (one thread, or one user's sockets): hand the
  // vector over as it is.
  if (const auto* first = context_of(targets.front());
      first && std::all_of(targets.begin() + 1, targets.end(), [&](const SocketPtr& s) {
        const auto* ex = context_of(s);
        return ex && *ex == *first;
      })) {
    hand_off(*first, std::move(targets), false);
    return;
  }
  std::vector<std::pair<ContextExecutor, std::vector<SocketPtr>>> groups;
  for (auto& s : targets) {
    const auto* ex = context_of(s);
    if (!ex) {
      s->send_encoded(frames);
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(), [&](auto& p) { return p.first == *ex; });
    if (g == groups.end()) g = groups.emplace(groups.end(), *ex, std::vector<SocketPtr>());
    g->second.push_back(std::move(s));
  }
  for (auto& [ex, group] : groups) hand_off(ex, std::move(group), groups.size() > 1);
}

void Socket::emit(std::string_view event, const Payload& args) {
  if (!connected()) return;
  send_encoded(encode_frames(PacketType::event, nsp_->name(), std::nullopt, event, args));
}

void Socket::emit_with_ack(std::string_view event, Payload args, std::chrono::milliseconds timeout,
                           AckCallback on_ack) {
  asio::dispatch(executor(), [self = shared_from_this(), event = std::string(event),
                              args = std::move(args), timeout,
                              cb = std::move(on_ack)]() mutable {
    if (!self->connected()) {
      if (cb) cb(std::nullopt);
      return;
    }
    auto id = self->next_ack_id_++;
    auto timer = std::make_shared<asio::steady_timer>(self->executor(), timeout);
    timer->async_wait([w = std::weak_ptr<Socket>(self), id](boost::system::error_code ec) {
      if (ec) return;
      if (auto s = w.lock()) s->ack_result(id, std::nullopt);
    });
    if (!self->acks_) self->acks_ = std::make_unique<std::unordered_map<std::uint64_t, PendingAck>>();
    self->acks_->emplace(id, PendingAck{std::move(cb), std::move(timer)});
    self->send_encoded(encode_frames(PacketType::event, self->nsp_->name(), id, event, args));
  });
}

void Socket::on_ack(std::uint64_t id, Payload args) { ack_result(id, std::move(args)); }

void Socket::ack_result(std::uint64_t id, std::optional<Payload> args) {
  if (!acks_) return;
  auto it = acks_->find(id);
  if (it == acks_->end()) return;
  PendingAck p = std::move(it->second);
  acks_->erase(it);
  if (acks_->empty()) acks_.reset();
  p.timer->cancel();
  if (p.callback) p.callback(std::move(args));
}

void Socket::dispatch_event(std::string name, Payload args, std::optional<std::uint64_t> ack_id) {
  AckFn ack;
  if (ack_id) {
    auto once = std::make_shared<std::atomic<bool>>(false);
    ack = [w = weak_from_this(), id = *ack_id, once](Payload reply) {
      if (once->exchange(true)) return;
      auto s = w.lock();
      if (!s || !s->connected()) return;
      s->send_encoded(encode_frames(PacketType::ack, s->nsp_->name(), id, std::nullopt, reply));
    };
  }
  const EventHandler* h = nullptr;
  if (handlers_) {
    auto it = handlers_->find(name);
    if (it != handlers_->end()) h = &it->second;
  }
  if (!h) {
    auto it = nsp_->handlers_.find(name);
    if (it != nsp_->handlers_.end()) h = &it->second;
  }
  if (!h) {
    spdlog::debug("socketio {}: no handler for event '{}'", id_, name);
    return;
  }
  // Copy: the handler may replace itself via on().
  EventHandler handler = *h;
  handler(shared_from_this(), std::move(args), std::move(ack));
}

void Socket::on_closed(DisconnectReason reason) {
  connected_.store(false, std::memory_order_release);
  auto handler = std::move(on_disconnect_);
  on_disconnect_ = nullptr;
  if (handler) handler(shared_from_this(), reason);
  if (acks_) {
    auto pending = std::move(*acks_);
    acks_.reset();
    for (auto& [id, p] : pending) {
      p.timer->cancel();
      if (p.callback) p.callback(std::nullopt);
    }
  }
  handlers_.reset();  // handlers often capture the socket; break the cycle
}

void Socket::join(std::string_view room) {
  if (connected()) nsp_->adapter().join(*this, room);
}

void Socket::leave(std::string_view room) { nsp_->adapter().leave(*this, room); }

std::vector<std::string> Socket::rooms() const { return nsp_->adapter().rooms_of(*this); }

BroadcastOperator Socket::to(std::string room) const {
  return BroadcastOperator(*nsp_, BroadcastTarget{{std::move(room)}, {id_}});
}

BroadcastOperator Socket::broadcast() const {
  return BroadcastOperator(*nsp_, BroadcastTarget{{}, {id_}});
}

void Socket::disconnect(bool close_transport) {
  asio::dispatch(executor(), [self = shared_from_this(), close_transport] {
    if (auto c = self->client_.lock()) c->disconnect_socket(self, close_transport);
  });
}

}  // namespace socketio
