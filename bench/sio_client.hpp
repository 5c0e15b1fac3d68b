#pragma once
// A Socket.IO v5 client over an Engine.IO v4 WebSocket (no long-polling), RFC 6455 written
// directly on the TCP socket. All members are used from the io_context's single thread.
//
//   auto c = std::make_shared<SioClient>(ioc, target, token, &handler, tag);
//   ConnectResult r = co_await c->connect();   // TCP → WS upgrade → EIO open → SIO CONNECT ack
//   c->start_reading();                        // events now go to handler.on_event
//   c->emit("send_message", R"({"to_email":...})");
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common.hpp"

namespace nb {

class SioClient;

class SioHandler {
 public:
  virtual ~SioHandler() = default;
  // One Socket.IO event: its name and the JSON text of its argument (see sio::Frame::data).
  virtual void on_event(SioClient& c, std::string_view name, std::string_view data) = 0;
  // The connection ended (server close, error, or our close()). Called at most once.
  virtual void on_closed(SioClient& c, std::string_view why) {
    (void)c;
    (void)why;
  }
};

struct ConnectResult {
  bool ok = false;
  std::string error;        // why not ok
  std::int64_t start_ns = 0;      // before the TCP connect
  std::int64_t connected_ns = 0;  // SIO CONNECT ack received
};

class SioClient {
 public:
  // `handler` must outlive the client. `tag` is free for the caller (e.g. a user index).
  SioClient(asio::io_context& ioc, const Target& target, std::string token, SioHandler* handler,
            std::uint64_t tag, unsigned source_index = 0);
  ~SioClient();
  SioClient(const SioClient&) = delete;
  SioClient& operator=(const SioClient&) = delete;

  // Opens the connection; completes after the Socket.IO CONNECT ack (or failure / timeout_s).
  awaitable<ConnectResult> connect(double timeout_s = 30);
  // Raw WebSocket mode (set before connect): no Engine.IO/Socket.IO; the URL path is
  // Target::sio_path as is; connect completes after the upgrade, or with a `probe`, once that
  // text frame was sent and came back unchanged (the connection proven usable by an echo
  // server); every text frame goes to on_event with an empty name; send_text() sends frames as
  // they are.
  void set_raw(bool raw, std::string probe = {});
  // Starts the read loop (after a successful connect).
  void start_reading();
  // Queues 42["event",data] (data: serialised JSON, or empty for no argument).
  void emit(std::string_view event, std::string_view data);
  // Queues a raw text frame.
  void send_text(std::string frame);
  // WebSocket close handshake after the queued frames are written.
  void close();
  // Closes the TCP socket now.
  void abort();

  std::uint64_t tag() const;
  bool is_open() const;
  std::uint64_t frames_in() const;
  std::uint64_t frames_out() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace nb
