#include "engineio/timer_wheel.hpp"

#include <boost/asio/dispatch.hpp>

#include <vector>

#include "engineio/session.hpp"

namespace engineio {

namespace asio = boost::asio;

asio::execution_context::id TimerWheel::id;

namespace {
// Sessions run on io_context executors or strands of them (the only execution context here).
asio::io_context& as_io_context(asio::execution_context& ctx) {
  return static_cast<asio::io_context&>(ctx);
}
}  // namespace

TimerWheel::TimerWheel(asio::execution_context& ctx)
    : service(ctx),
      ioc_(as_io_context(ctx)),
      epoch_(std::chrono::steady_clock::now()),
      timer_(ioc_) {}

TimerWheel::~TimerWheel() = default;

void TimerWheel::shutdown() {
  std::lock_guard lk(mu_);
  stopped_ = true;
  for (auto& head : slots_) {
    while (head) unlink(*head);
  }
  timer_.cancel();
}

std::uint64_t TimerWheel::now_tick() const {
  return static_cast<std::uint64_t>((std::chrono::steady_clock::now() - epoch_) / kTick);
}

void TimerWheel::unlink(Entry& e) {
  if (e.due == 0) return;
  if (e.prev)
    e.prev->next = e.next;
  else
    slots_[e.due % kSlots] = e.next;
  if (e.next) e.next->prev = e.prev;
  e.prev = e.next = nullptr;
  e.due = 0;
  --count_;
}

std::uint32_t TimerWheel::schedule(Entry& e, std::chrono::milliseconds delay) {
  std::lock_guard lk(mu_);
  unlink(e);
  ++e.generation;
  if (stopped_) return e.generation;
  if (count_ == 0) done_ = std::max(done_, now_tick());  // nothing to scan before now
  auto ticks = static_cast<std::uint64_t>((delay + kTick - std::chrono::milliseconds(1)) / kTick);
  // Due strictly after the current tick, and after every tick already processed.
  e.due = std::max(now_tick(), done_) + std::max<std::uint64_t>(ticks, 1);
  auto& head = slots_[e.due % kSlots];
  e.prev = nullptr;
  e.next = head;
  if (head) head->prev = &e;
  head = &e;
  ++count_;
  arm();
  return e.generation;
}

void TimerWheel::cancel(Entry& e) {
  std::lock_guard lk(mu_);
  unlink(e);
  ++e.generation;
}

void TimerWheel::arm() {
  if (armed_for_ != 0 || count_ == 0 || stopped_) return;
  armed_for_ = std::max(now_tick(), done_) + 1;
  timer_.expires_at(epoch_ + armed_for_ * kTick);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) on_tick();
  });
}

void TimerWheel::on_tick() {
  struct Due {
    std::shared_ptr<Session> session;
    std::uint32_t generation;
  };
  std::vector<Due> due;
  {
    std::lock_guard lk(mu_);
    armed_for_ = 0;
    if (stopped_) return;
    const auto now = now_tick();
    // At most one turn of the wheel: older slots were covered by that turn.
    std::uint64_t from = done_ + 1;
    if (now >= kSlots && from < now - kSlots + 1) from = now - kSlots + 1;
    for (auto t = from; t <= now; ++t) {
      Entry* e = slots_[t % kSlots];
      while (e) {
        Entry* next = e->next;
        if (e->due <= now) {
          // Pinned under the lock: a session being destroyed waits in cancel() for the lock,
          // and its lock() fails, so it is skipped.
          auto s = e->owner->weak_from_this().lock();
          unlink(*e);
          if (s) due.push_back(Due{std::move(s), e->generation});
        }
        e = next;
      }
    }
    done_ = std::max(done_, now);
    arm();
  }
  for (auto& d : due) {
    auto ex = d.session->executor();
    asio::dispatch(ex, [s = std::move(d.session), g = d.generation] { s->on_deadline(g); });
  }
}

}  // namespace engineio
