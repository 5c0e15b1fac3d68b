#include "socketio/client.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>

#include "base/log.hpp"
#include "base/object_id.hpp"
#include "socketio/in_memory_adapter.hpp"

namespace socketio {

namespace asio = boost::asio;
namespace json = boost::json;
using engineio::CloseReason;

namespace {
// 88 random bits: 15 base64url characters, kept inline by std::string (see engineio's sids).
constexpr std::size_t kSocketIdBytes = 11;
DisconnectReason from_close(CloseReason r) {
  switch (r) {
    case CloseReason::transport_close: return DisconnectReason::transport_close;
    case CloseReason::transport_error: return DisconnectReason::transport_error;
    case CloseReason::ping_timeout: return DisconnectReason::ping_timeout;
    case CloseReason::parse_error: return DisconnectReason::parse_error;
    case CloseReason::forced_close: return DisconnectReason::forced_close;
    case CloseReason::server_shutdown: return DisconnectReason::server_shutting_down;
    case CloseReason::slow_consumer: return DisconnectReason::slow_consumer;
  }
  return DisconnectReason::transport_close;
}
}  // namespace

// ---- Core ----

Core::Core(const ServerOptions& opts)
    : connect_timeout(opts.connect_timeout),
      max_attachments(opts.max_attachments),
      retain_handshake(opts.retain_handshake),
      factory_(opts.adapter_factory) {
  of("/");  // the main namespace always exists ([ref])
}

Namespace& Core::of(std::string_view name) {
  std::lock_guard lk(mu_);
  auto it = namespaces_.find(std::string(name));
  if (it != namespaces_.end()) return *it->second;
  std::unique_ptr<Adapter> adapter =
      factory_ ? factory_(std::string(name)) : std::make_unique<InMemoryAdapter>();
  auto ns = std::make_unique<Namespace>(std::string(name), std::move(adapter));
  auto& ref = *ns;
  namespaces_.emplace(std::string(name), std::move(ns));
  return ref;
}

Namespace* Core::find(std::string_view name) const {
  std::lock_guard lk(mu_);
  auto it = namespaces_.find(std::string(name));
  return it == namespaces_.end() ? nullptr : it->second.get();
}

void Core::on_open(const engineio::SessionPtr& session, const engineio::HandshakeInfo&) {
  auto c = std::make_shared<Client>(shared_from_this(), session);
  session->user = c;
  c->start();
}

void Core::on_message(const engineio::SessionPtr& session, engineio::Message message) {
  if (auto c = std::static_pointer_cast<Client>(session->user)) c->on_message(std::move(message));
}

void Core::on_close(const engineio::SessionPtr& session, engineio::CloseReason reason) {
  if (auto c = std::static_pointer_cast<Client>(session->user)) c->on_close(reason);
}

// ---- Client ----

Client::Client(std::shared_ptr<Core> core, engineio::SessionPtr session)
    : core_(std::move(core)), session_(std::move(session)), assembler_(core_->max_attachments) {}

void Client::start() {
  // SIO5: a client that never connects to a namespace is closed.
  connect_timer_ = std::make_unique<asio::steady_timer>(session_->executor(), core_->connect_timeout);
  connect_timer_->async_wait([w = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    auto self = w.lock();
    if (self && !self->closed_ && self->sockets_.empty()) {
      spdlog::debug("socketio {}: no CONNECT within the connect timeout", self->session_->id());
      self->session_->close(CloseReason::forced_close);
    }
  });
}

void Client::fail(CloseReason reason, std::string_view why) {
  spdlog::debug("socketio {}: closing: {}", session_->id(), why);
  session_->close(reason);
}

void Client::on_message(engineio::Message m) {
  if (closed_) return;
  auto r = m.binary ? assembler_.on_binary(std::move(m.data)) : assembler_.on_text(m.data);
  if (!r) {
    fail(CloseReason::parse_error, to_string(r.error()));
    return;
  }
  if (!r->has_value()) return;  // attachments still expected
  auto& done = **r;
  on_packet(std::move(done.packet), std::move(done.attachments));
}

SocketPtr Client::find(std::string_view nsp) const {
  for (auto& [name, s] : sockets_)
    if (name == nsp) return s;
  return nullptr;
}

void Client::send(const Packet& p) {
  session_->send(engineio::Frame::text(encode_packet(p)));
}

void Client::on_packet(Packet p, std::vector<std::string> attachments) {
  switch (p.type) {
    case PacketType::connect: connect(std::move(p)); return;
    case PacketType::event:
    case PacketType::binary_event: {
      auto s = find(p.nsp);
      if (!s) return fail(CloseReason::parse_error, "event for a namespace not joined");
      auto& arr = p.data.get_array();
      std::string name;
      if (arr[0].is_string())
        name = std::string(arr[0].get_string());
      else
        name = json::serialize(arr[0]);
      arr.erase(arr.begin());
      s->dispatch_event(std::move(name), Payload(std::move(arr), std::move(attachments)), p.id);
      return;
    }
    case PacketType::ack:
    case PacketType::binary_ack: {
      auto s = find(p.nsp);
      if (!s) return fail(CloseReason::parse_error, "ack for a namespace not joined");
      // [ref] an ack with no or an unknown id is ignored.
      if (p.id) s->on_ack(*p.id, Payload(std::move(p.data.get_array()), std::move(attachments)));
      return;
    }
    case PacketType::disconnect: {
      auto s = find(p.nsp);
      if (!s) return fail(CloseReason::parse_error, "disconnect from a namespace not joined");
      remove(s);
      s->on_closed(DisconnectReason::client_namespace_disconnect);
      return;
    }
    case PacketType::connect_error: fail(CloseReason::parse_error, "CONNECT_ERROR from client");
      return;
  }
}

void Client::connect(Packet p) {
  if (find(p.nsp) || std::find(connecting_.begin(), connecting_.end(), p.nsp) != connecting_.end())
    return fail(CloseReason::parse_error, "second CONNECT to a namespace");
  Namespace* ns = core_->find(p.nsp);
  if (!ns) {
    json::object err;
    err["message"] = "Invalid namespace";
    send(Packet{PacketType::connect_error, p.nsp, std::nullopt, std::move(err), 0});
    return;
  }
  json::object auth;
  if (p.data.is_object()) auth = std::move(p.data.get_object());
  auto s = std::make_shared<Socket>(base::random_token(kSocketIdBytes), *ns, session_, weak_from_this(),
                                    std::move(auth));
  connecting_.push_back(p.nsp);
  run_middleware(s, 0);
}

void Client::run_middleware(const SocketPtr& s, std::size_t index) {
  const auto& chain = s->nsp().middleware_;
  if (index >= chain.size()) return connect_done(s, std::nullopt);
  auto once = std::make_shared<std::atomic<bool>>(false);
  Next next = [self = shared_from_this(), s, index, once](std::optional<ConnectError> err) {
    if (once->exchange(true)) return;
    asio::dispatch(self->session_->executor(), [self, s, index, err = std::move(err)]() mutable {
      if (err)
        self->connect_done(s, std::move(err));
      else
        self->run_middleware(s, index + 1);
    });
  };
  try {
    chain[index](s, next);
  } catch (const std::exception& e) {
    spdlog::error("socketio middleware for {} threw: {}", s->nsp().name(), e.what());
    next(ConnectError{"Internal error", nullptr});
  }
}

void Client::connect_done(const SocketPtr& s, std::optional<ConnectError> error) {
  auto& nsp = s->nsp().name();
  auto it = std::find(connecting_.begin(), connecting_.end(), nsp);
  if (it != connecting_.end()) connecting_.erase(it);
  if (connecting_.empty()) std::vector<std::string>().swap(connecting_);
  if (closed_) return;
  if (error) {
    json::object o;
    o["message"] = error->message;
    if (!error->data.is_null()) o["data"] = std::move(error->data);
    send(Packet{PacketType::connect_error, nsp, std::nullopt, std::move(o), 0});
    return;
  }
  sockets_.emplace_back(nsp, s);
  connect_timer_.reset();
  s->connected_.store(true, std::memory_order_release);
  s->nsp().add(s);
  json::object o;
  o["sid"] = s->id();
  // Queued before anything the connection handler emits.
  send(Packet{PacketType::connect, nsp, std::nullopt, std::move(o), 0});
  if (s->nsp().on_connection_) s->nsp().on_connection_(s);
  // The CONNECT payload serves middleware and the connection handler only; an idle socket
  // should not keep it (a token is often a few hundred bytes).
  s->auth_ = boost::json::object();
  if (!core_->retain_handshake) session_->trim_handshake();
}

void Client::remove(const SocketPtr& s) {
  auto it = std::find_if(sockets_.begin(), sockets_.end(),
                         [&](const auto& e) { return e.second == s; });
  if (it != sockets_.end()) sockets_.erase(it);
  s->nsp().remove(*s);
}

void Client::disconnect_socket(const SocketPtr& s, bool close_transport) {
  if (closed_) return;
  if (close_transport) {
    auto all = std::move(sockets_);
    sockets_.clear();
    for (auto& [name, sock] : all) {
      send(Packet{PacketType::disconnect, name, std::nullopt, nullptr, 0});
      sock->nsp().remove(*sock);
      sock->on_closed(DisconnectReason::forced_server_close);
    }
    session_->close(CloseReason::forced_close);
    return;
  }
  if (!find(s->nsp().name())) return;
  send(Packet{PacketType::disconnect, s->nsp().name(), std::nullopt, nullptr, 0});
  remove(s);
  s->on_closed(DisconnectReason::server_namespace_disconnect);
}

void Client::on_close(CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  connect_timer_.reset();
  auto all = std::move(sockets_);
  sockets_.clear();
  for (auto& [name, s] : all) {
    s->nsp().remove(*s);
    s->on_closed(from_close(reason));
  }
}

}  // namespace socketio
