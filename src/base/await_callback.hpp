#pragma once
// Turns a callback-style asynchronous operation into an awaitable. The callback may run on any
// thread (e.g. the store's writer); the coroutine resumes on its own executor.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <functional>
#include <memory>

#include "base/asio.hpp"

namespace base {

// `start` receives a std::function<void(T)> to call exactly once.
template <class T, class Start>
awaitable<T> await_callback(Start start) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      [start = std::move(start)](auto handler) mutable {
        using H = decltype(handler);
        auto h = std::make_shared<H>(std::move(handler));
        start(std::function<void(T)>([h](T v) {
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, v = std::move(v)]() mutable { (*h)(std::move(v)); });
        }));
      },
      asio::use_awaitable);
}

}  // namespace base
