#include "echo_conn.hpp"

#include <utility>

namespace natter_echo {

namespace {
// Payloads up to this size are copied next to their frame header; larger ones are written from
// the message's own string (one more iovec, no copy).
constexpr std::size_t kInlinePayload = 1024;
}  // namespace

SharedFrame make_frame(ws::Opcode op, std::string_view payload) {
  return std::make_shared<const std::string>(ws::encode_frame(op, payload));
}

void EchoConn::queue_raw(std::string_view bytes) {
  out_.append(bytes);
  queued_ += bytes.size();
}

bool EchoConn::feed(char* data, std::size_t n) {
  if (stopped_) return false;
  bool go = reader_.feed(data, n, [this](ws::Event&& ev) { return on_event(ev); });
  if (!go) stopped_ = true;
  return go;
}

bool EchoConn::on_event(ws::Event& ev) {
  switch (ev.kind) {
    case ws::Event::message: {
      if (closing_) return true;
      auto op = ev.binary ? ws::Opcode::binary : ws::Opcode::text;
      if (relay_)
        relayed_.push_back(make_frame(op, ev.data));
      else
        queue(op, std::move(ev.data));
      return true;
    }
    case ws::Event::ping:
      if (!closing_) queue(ws::Opcode::pong, std::move(ev.data));
      return true;
    case ws::Event::pong:
      return true;
    case ws::Event::close:  // answer with the peer's code (none if it sent none)
    case ws::Event::error:  // fail the connection with the codec's code
      close(ev.code);
      return false;
  }
  return false;
}

void EchoConn::close(std::uint16_t code) {
  if (closing_) return;
  std::string payload;
  if (code != 0) {
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
  }
  queue(ws::Opcode::close, std::move(payload));
  closing_ = true;
}

void EchoConn::send(SharedFrame frame) {
  if (closing_) return;
  queued_ += frame->size();
  refs_.push_back(Ref{out_.size(), std::move(frame)});
}

void EchoConn::queue(ws::Opcode op, std::string&& payload) {
  unsigned char h[ws::kMaxHeader];
  std::size_t hn = ws::encode_header(h, op, payload.size());
  out_.append(reinterpret_cast<const char*>(h), hn);
  queued_ += hn + payload.size();
  if (payload.size() <= kInlinePayload)
    out_.append(payload);
  else
    refs_.push_back(Ref{out_.size(), std::make_shared<const std::string>(std::move(payload))});
}

bool EchoConn::take_output(std::vector<boost::asio::const_buffer>& bufs) {
  bufs.clear();
  if (writing_ || queued_ == 0) return false;
  wout_.swap(out_);
  wrefs_.swap(refs_);
  inflight_ = queued_;
  queued_ = 0;
  std::size_t from = 0;
  for (auto& r : wrefs_) {
    if (r.at > from) bufs.emplace_back(wout_.data() + from, r.at - from);
    bufs.emplace_back(r.data->data(), r.data->size());
    from = r.at;
  }
  if (wout_.size() > from) bufs.emplace_back(wout_.data() + from, wout_.size() - from);
  close_in_flight_ = closing_;  // the close frame, once queued, is the last frame
  writing_ = true;
  return true;
}

void EchoConn::written() {
  if (!writing_) return;
  writing_ = false;
  inflight_ = 0;
  // Keep a modest buffer for the next write; give a large one back.
  if (wout_.capacity() > 64 * 1024)
    std::string().swap(wout_);
  else
    wout_.clear();
  wrefs_.clear();
  if (close_in_flight_) close_written_ = true;
}

}  // namespace natter_echo
