#pragma once
// Internal to engineio: the transport objects shared by Server (request side) and Session.
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <memory>
#include <string>

#include "base/asio.hpp"
#include "engineio/session.hpp"

namespace engineio {

// A WebSocket transport. Lives on the session's strand (the socket was created there).
struct WsConn {
  explicit WsConn(boost::asio::ip::tcp::socket s) : ws(std::move(s)) {}
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws;
  bool closing = false;
};

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
