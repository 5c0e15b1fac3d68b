#include "socketio/namespace.hpp"

#include <iterator>

namespace socketio {

BroadcastOperator BroadcastOperator::to(std::string room) const {
  BroadcastOperator op = *this;
  op.target_.rooms.push_back(std::move(room));
  return op;
}

BroadcastOperator BroadcastOperator::except(std::string room) const {
  BroadcastOperator op = *this;
  op.target_.except.push_back(std::move(room));
  return op;
}

void BroadcastOperator::emit(std::string_view event, const Payload& args) const {
  nsp_->adapter().broadcast(BroadcastPacket{
      nsp_->name(), target_,
      encode_frames(PacketType::event, nsp_->name(), std::nullopt, event, args)});
}

void BroadcastOperator::emit_each(std::initializer_list<Event> events) const {
  BroadcastPacket packet{nsp_->name(), target_, {}};
  for (const auto& e : events) {
    auto frames = encode_frames(PacketType::event, nsp_->name(), std::nullopt, e.name, e.args);
    packet.frames.insert(packet.frames.end(), std::make_move_iterator(frames.begin()),
                         std::make_move_iterator(frames.end()));
  }
  nsp_->adapter().broadcast(packet);
}

bool BroadcastOperator::may_reach() const { return nsp_->adapter().may_reach(target_); }

std::vector<SocketPtr> BroadcastOperator::sockets() const {
  return nsp_->adapter().sockets(target_);
}

void BroadcastOperator::disconnect(bool close_transport) const {
  for (auto& s : sockets()) s->disconnect(close_transport);
}

Namespace::Namespace(std::string name, std::unique_ptr<Adapter> adapter)
    : name_(std::move(name)), adapter_(std::move(adapter)) {}

void Namespace::use(Middleware mw) { middleware_.push_back(std::move(mw)); }

void Namespace::on_connection(ConnectionHandler handler) { on_connection_ = std::move(handler); }

void Namespace::on(std::string event, EventHandler handler) {
  handlers_[std::move(event)] = std::move(handler);
}

BroadcastOperator Namespace::to(std::string room) {
  return BroadcastOperator(*this, BroadcastTarget{{std::move(room)}, {}});
}

BroadcastOperator Namespace::except(std::string room) {
  return BroadcastOperator(*this, BroadcastTarget{{}, {std::move(room)}});
}

void Namespace::emit(std::string_view event, const Payload& args) {
  BroadcastOperator(*this, BroadcastTarget{}).emit(event, args);
}

SocketPtr Namespace::socket(const std::string& id) const {
  auto v = adapter_->sockets(BroadcastTarget{{id}, {}});
  for (auto& s : v)
    if (s->id() == id) return s;
  return nullptr;
}

std::size_t Namespace::socket_count() const { return adapter_->sockets(BroadcastTarget{}).size(); }

void Namespace::add(const SocketPtr& s) { adapter_->add_socket(s); }

void Namespace::remove(const Socket& s) { adapter_->remove_socket(s); }

}  // namespace socketio
