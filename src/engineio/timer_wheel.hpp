#pragma once
// Internal to engineio: heartbeat deadlines of many sessions on one timer. A hashed timing wheel
// per io_context (an Asio service): each Session embeds an Entry (a few words) instead of owning
// a steady_timer with a pending wait operation (~250 bytes per idle session). Resolution: kTick.
//
// Thread-safe: entries may be scheduled and cancelled from any thread (sessions on strands of a
// multi-threaded io_context); the wheel's own timer runs on the context. A fired entry reaches
// its session through Session::on_deadline(generation) on the session's executor; a deadline
// rescheduled or cancelled meanwhile is recognised there by its generation and ignored.
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

namespace engineio {

class Session;

class TimerWheel : public boost::asio::execution_context::service {
 public:
  using key_type = TimerWheel;
  static boost::asio::execution_context::id id;
  static constexpr std::chrono::milliseconds kTick{10};

  struct Entry {
    Session* owner = nullptr;
    Entry* prev = nullptr;
    Entry* next = nullptr;
    std::uint64_t due = 0;  // tick number; 0: not scheduled
    std::uint32_t generation = 0;  // bumped by every schedule() and cancel()
  };

  explicit TimerWheel(boost::asio::execution_context& ctx);
  ~TimerWheel() override;

  // The wheel of the io_context behind `ex`.
  template <class Executor>
  static TimerWheel& of(const Executor& ex) {
    return boost::asio::use_service<TimerWheel>(
        boost::asio::query(ex, boost::asio::execution::context));
  }

  // (Re)schedules `e` to fire after `delay` (rounded up to whole ticks). Returns the generation
  // the firing will carry.
  std::uint32_t schedule(Entry& e, std::chrono::milliseconds delay);
  // Unschedules `e` (no-op if not scheduled). Safe from the owner's destructor.
  void cancel(Entry& e);

 private:
  static constexpr std::size_t kSlots = 4096;  // 41 s per turn; longer delays take more turns
  void shutdown() override;
  std::uint64_t now_tick() const;
  void arm();  // REQUIRES(mu_)
  void on_tick();
  void unlink(Entry& e);  // REQUIRES(mu_)

  boost::asio::io_context& ioc_;
  std::chrono::steady_clock::time_point epoch_;
  std::mutex mu_;
  std::array<Entry*, kSlots> slots_{};  // GUARDED_BY(mu_)
  std::size_t count_ = 0;               // GUARDED_BY(mu_)
  std::uint64_t done_ = 0;              // last tick processed; GUARDED_BY(mu_)
  std::uint64_t armed_for_ = 0;         // tick the timer waits for (0: idle); GUARDED_BY(mu_)
  bool stopped_ = false;                // GUARDED_BY(mu_)
  boost::asio::steady_timer timer_;
};

}  // namespace engineio
