#pragma once
// Internal to engineio: the transport objects shared by Server (request side) and Session.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "engineio/session.hpp"
#include "engineio/ws_codec.hpp"

namespace engineio {

// A WebSocket transport over the raw TCP socket (after Beast's handshake). Lives on the
// session's strand (the socket was created there). While idle it holds no buffer: the reader
// waits for readability, then reads into a thread-local buffer (ws::Reader keeps only a partial
// frame). Writes gather every queued frame into one writev.
struct WsConn {
  WsConn(boost::asio::ip::tcp::socket s, std::size_t max_message)
      : sock(std::move(s)), reader(max_message) {}
  boost::asio::ip::tcp::socket sock;
  ws::Reader reader;
  // Output state, allocated only while there is something to write beyond what one direct
  // writev of the session queue handles (an idle connection holds none).
  struct Out {
    std::string ctrl;             // raw frames (pong, 3probe) for the next write, before data
    std::vector<Frame> inflight;  // data frames being written
    std::string wbuf;             // bytes being written besides frame payloads
  };
  std::unique_ptr<Out> out_;
  Out& out() {
    if (!out_) out_ = std::make_unique<Out>();
    return *out_;
  }
  bool has_ctrl() const { return out_ && !out_->ctrl.empty(); }
  std::unique_ptr<boost::asio::steady_timer> upgrade_timer;  // while probed for an upgrade
  std::uint16_t close_code = 0;  // code of the close frame to send (ws::CloseCode or none)
  bool closing = false;      // close frame queued (or hard close): no more data frames
  bool close_queued = false; // close frame handed to a write
  bool close_sent = false;   // close frame written
  bool kill_after_close = false;  // close the socket once the close frame is written
  bool peer_closed = false;  // the peer's close frame arrived
  bool dead = false;         // socket closed
  bool writing = false;
  bool reading = false;
  unsigned char probe = 0;   // 1: "3probe" queued in ctrl, 2: being written
};
// The close frame the server sends: [ref] no status code (clients see 1005).
inline constexpr std::uint16_t kCloseNoCode = 0;

// A held long-polling GET. Lives on the HTTP connection's strand; the session completes it by
// posting there (complete_poll). `timer` never expires by itself: cancel() wakes the request.
struct PollWaiter {
  explicit PollWaiter(boost::asio::any_io_executor ex)
      : timer(std::move(ex), boost::asio::steady_timer::time_point::max()) {}
  boost::asio::steady_timer timer;
  bool done = false;
  PollAnswer answer;
};

// Thread-safe: hands `a` to the waiting request (first completion wins).
void complete_poll(const std::shared_ptr<PollWaiter>& w, PollAnswer a);

}  // namespace engineio
