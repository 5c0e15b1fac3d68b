#pragma once
// Asio vocabulary shared by every module that does I/O.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>

namespace base {
namespace asio = boost::asio;
template <class T = void>
using awaitable = asio::awaitable<T>;
// Completion token for coroutines that want (error_code, result...) tuples instead of exceptions.
inline constexpr auto as_result = asio::as_tuple(asio::use_awaitable);
}  // namespace base
