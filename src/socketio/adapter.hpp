#pragma once
// Room membership and broadcasting for one namespace. The in-process implementation is
// InMemoryAdapter; a multi-node adapter (e.g. Redis pub/sub) publishes BroadcastPacket to the
// other nodes and delivers it locally through an InMemoryAdapter.
//
// Every socket is implicitly in the room named by its id (not stored as a room).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"

namespace socketio {

class Socket;
using SocketPtr = std::shared_ptr<Socket>;

// Who receives a broadcast. Empty `rooms`: every socket of the namespace. A socket in any of
// `except` (room names or socket ids) is skipped.
struct BroadcastTarget {
  std::vector<std::string> rooms;
  std::vector<std::string> except;
};

// A serialisable broadcast: the namespace, the targeting and the encoded Engine.IO frames (one
// text frame, then the binary attachments). Encoded once; the frames are shared by recipients.
struct BroadcastPacket {
  std::string nsp;
  BroadcastTarget target;
  std::vector<engineio::Frame> frames;
};

// Thread-safe: every member may be called from any thread.
class Adapter {
 public:
  virtual ~Adapter() = default;
  // Registers a connected socket (and its implicit own-id room). Called once per socket.
  virtual void add_socket(const SocketPtr& socket) = 0;
  // Unregisters the socket and removes it from every room.
  virtual void remove_socket(const Socket& socket) = 0;
  virtual void join(const Socket& socket, std::string_view room) = 0;
  virtual void leave(const Socket& socket, std::string_view room) = 0;
  // The socket's id followed by the rooms it joined.
  virtual std::vector<std::string> rooms_of(const Socket& socket) const = 0;
  // Sockets on this node that `target` selects.
  virtual std::vector<SocketPtr> sockets(const BroadcastTarget& target) const = 0;
  // False only when a broadcast to `target` certainly reaches nobody, so that a caller may skip
  // encoding it. An adapter that spans nodes answers true (other nodes may have members).
  virtual bool may_reach(const BroadcastTarget& target) const = 0;
  // Delivers to every selected socket. Implementations select under their lock and send
  // outside it.
  virtual void broadcast(const BroadcastPacket& packet) = 0;
};

}  // namespace socketio
