#pragma once
// A Socket.IO namespace ("/", "/chat", ...): its middleware, handlers, sockets and adapter.
//
// Register middleware and handlers (use, on_connection, on) before the server starts serving;
// they are read without locks afterwards. Everything else is thread-safe.
#include <boost/json/value.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/socket.hpp"

namespace socketio {

// Refusal of a CONNECT: the client gets CONNECT_ERROR {"message":..., "data":...} (data omitted
// when null) and its connect_error event.
struct ConnectError {
  std::string message;
  boost::json::value data;
};
// Continues the middleware chain: nullopt accepts, an error refuses. Call exactly once, from any
// thread, possibly later (asynchronously).
using Next = std::function<void(std::optional<ConnectError>)>;
using Middleware = std::function<void(const SocketPtr&, Next)>;
using ConnectionHandler = std::function<void(const SocketPtr&)>;

// Emits to a selection of sockets. A value: to()/except() return modified copies.
class BroadcastOperator {
 public:
  BroadcastOperator(Namespace& nsp, BroadcastTarget target)
      : nsp_(&nsp), target_(std::move(target)) {}
  BroadcastOperator to(std::string room) const;
  BroadcastOperator except(std::string room) const;
  // Encodes once and hands the frames to the adapter. Thread-safe.
  void emit(std::string_view event, const Payload& args = {}) const;
  // Several events as one broadcast: each selected socket gets them in this order, in one
  // hand-off (one selection, one queueing and one write per socket instead of one per event).
  struct Event {
    std::string_view name;
    const Payload& args;
  };
  void emit_each(std::initializer_list<Event> events) const;
  // Sockets on this node that the selection covers.
  std::vector<SocketPtr> sockets() const;
  // False when an emit would certainly reach nobody (Adapter::may_reach): skip encoding it.
  bool may_reach() const;
  // Disconnects every selected socket on this node.
  void disconnect(bool close_transport = false) const;
  const BroadcastTarget& target() const { return target_; }

 private:
  Namespace* nsp_;
  BroadcastTarget target_;
};

class Namespace {
 public:
  Namespace(std::string name, std::unique_ptr<Adapter> adapter);
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  const std::string& name() const { return name_; }

  // Connection middleware, run in registration order for each CONNECT; on the socket's strand.
  void use(Middleware mw);
  // Called on the socket's strand after the CONNECT reply was queued.
  void on_connection(ConnectionHandler handler);
  // Event handler for every socket of the namespace (no per-socket cost).
  void on(std::string event, EventHandler handler);

  BroadcastOperator to(std::string room);
  BroadcastOperator except(std::string room);
  // To every socket of the namespace.
  void emit(std::string_view event, const Payload& args = {});

  Adapter& adapter() { return *adapter_; }
  // Connected socket by id on this node, or nullptr. Thread-safe.
  SocketPtr socket(const std::string& id) const;
  // Connected sockets on this node (O(n)). Thread-safe.
  std::size_t socket_count() const;

 private:
  friend class Client;
  friend class Socket;
  void add(const SocketPtr& s);
  void remove(const Socket& s);

  std::string name_;
  std::unique_ptr<Adapter> adapter_;
  std::vector<Middleware> middleware_;
  ConnectionHandler on_connection_;
  std::unordered_map<std::string, EventHandler> handlers_;
};

}  // namespace socketio
