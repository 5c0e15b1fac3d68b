#pragma once
// One Engine.IO session: its state machine, outbound queue, heartbeat and transports.
//
// Threading: every member is touched only on the session's strand (executor()). The public
// send()/close() are thread-safe: they dispatch to the strand. Handler callbacks run on the strand.
#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/handler.hpp"
#include "engineio/packet.hpp"
#include "engineio/timer_wheel.hpp"

namespace engineio {

class Server;
struct WsConn;
struct PollWaiter;
namespace ws {
struct Event;
}

// Result of a polling request, computed on the session strand.
struct PollAnswer {
  unsigned status = 200;
  std::string body;
  int error_code = -1;  // >= 0: answer with the Engine.IO JSON error {"code":N,...}
};

class PendingWrites;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // Created by Server only.
  Session(std::string id, std::shared_ptr<Server> server, boost::asio::any_io_executor strand,
          std::shared_ptr<const HandshakeInfo> handshake, Transport transport);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& id() const { return id_; }
  const HandshakeInfo& handshake() const { return *handshake_; }
  // Current transport; changes once, polling → websocket, on upgrade. Any thread.
  Transport transport() const { return transport_.load(std::memory_order_relaxed); }
  // The session's strand: Handler callbacks run here. Post here to touch upper-layer state.
  const boost::asio::any_io_executor& executor() const { return strand_; }

  // Queues frames in order (thread-safe; inline when called on the strand). Frames sent after
  // the session closed are dropped. A batch is queued atomically (no other frames in between).
  void send(Frame frame);
  void send(std::vector<Frame> frames);
  // The same, from a handler already running on the strand (no dispatch, no closure): for
  // broadcasts handed to this session's thread.
  void send_here(const std::vector<Frame>& frames);
  // Flushes queued frames, then closes the transport; on_close(forced_close). Thread-safe.
  void close();
  void close(CloseReason reason);

  // Drops the handshake record but its transport (query, headers, URL, remote address): memory
  // an idle connection no longer needs once the upper layer has authenticated it. Strand only;
  // references from handshake() taken before are invalidated.
  void trim_handshake();

  // Slot for the upper layer (e.g. its per-connection object). Strand only.
  std::shared_ptr<void> user;

 private:
  friend class Server;
  enum class Phase : unsigned char { open, draining, closed };
  enum class Upgrade : unsigned char { none, probing, upgrading, done };

  // --- strand-only internals, driven by Server and the transport coroutines ---
  // Starts the heartbeat and tells the handler. The open packet is queued first.
  void open();
  void enqueue(Frame f);
  void release_queue();  // empties the queue and frees its storage
  void flush();
  // Inbound packet from the active transport. Returns false if it closed the session.
  bool on_packet(Packet p);
  // Ends the session. graceful: queued frames are still delivered before the transport closes.
  void end(CloseReason reason, bool graceful);
  void finish();  // removes the session from the server once the transport is done

  // polling
  std::optional<PollAnswer> begin_poll(const std::shared_ptr<PollWaiter>& w);
  void poll_aborted(const std::shared_ptr<PollWaiter>& w);
  PollAnswer on_post(std::string_view body, bool octet_stream);
  void answer_poll(PollAnswer a);
  std::string take_payload();

  // websocket (the lean transport: see WsConn)
  void attach_ws(std::shared_ptr<WsConn> c);
  void ws_write_next();
  // Starts a gathered write of c's pending bytes (control frames, data frames when c is the
  // active transport, the close frame) unless one is in flight.
  void ws_write(const std::shared_ptr<WsConn>& c);
  // Tries to write c's pending bytes now with one non-blocking writev; false: the socket
  // would block (nothing written), take the asynchronous path.
  // data: include the session queue (c is the active transport).
  bool ws_write_direct(const std::shared_ptr<WsConn>& c, bool data);
  void on_ws_written(const std::shared_ptr<WsConn>& c, bool ok);
  // Waits for c to become readable (no buffer held meanwhile).
  void ws_read(const std::shared_ptr<WsConn>& c);
  void on_ws_readable(const std::shared_ptr<WsConn>& c, boost::system::error_code ec);
  // Handles one parsed event; false: stop reading.
  bool on_ws_event(const std::shared_ptr<WsConn>& c, ws::Event& ev);
  // hard: close the socket now; else send a close frame after queued frames.
  void ws_close(const std::shared_ptr<WsConn>& c, bool hard);
  static void ws_kill(WsConn& c);
  void on_ws_message(const std::shared_ptr<WsConn>& c, Message m);
  void on_ws_error(const std::shared_ptr<WsConn>& c, bool clean);
  // upgrade
  bool begin_probe(const std::shared_ptr<WsConn>& c);
  void probe_answered(const std::shared_ptr<WsConn>& c);
  bool complete_upgrade(const std::shared_ptr<WsConn>& c);
  void drop_candidate(const std::shared_ptr<WsConn>& c);

  void schedule_ping();
  void on_ping_timer();
  // The heartbeat deadline (TimerWheel entry): ping due, pong overdue, or polling linger over.
  void set_deadline(std::chrono::milliseconds delay);
  friend class TimerWheel;
  void on_deadline(std::uint32_t generation);

  std::string id_;
  std::shared_ptr<Server> server_;
  boost::asio::any_io_executor strand_;
  std::shared_ptr<const HandshakeInfo> handshake_;
  std::atomic<Transport> transport_;
  Phase phase_ = Phase::open;
  Upgrade upgrade_ = Upgrade::none;
  bool awaiting_pong_ = false;
  bool handler_told_ = false;  // on_open delivered (on_close is owed)
  bool flush_posted_ = false;  // a WebSocket write of the queue is posted (see flush())
  PendingWrites* pending_ = nullptr;  // its io_context's list (see flush()); null on a strand
  std::size_t queued_bytes_ = 0;
  std::vector<Frame> queue_;  // not yet handed to a transport
  TimerWheel& wheel_;
  TimerWheel::Entry deadline_;  // heartbeat; linger while draining over polling
  std::uint32_t deadline_generation_ = 0;  // of the deadline set last (0: none)
  std::shared_ptr<PollWaiter> poll_;
  std::shared_ptr<WsConn> ws_;         // active WebSocket transport
  std::shared_ptr<WsConn> candidate_;  // WebSocket being probed for an upgrade
};

}  // namespace engineio
