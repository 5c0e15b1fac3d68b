#pragma once
// A keep-alive HTTP/1.1 client: one request at a time, reconnects when the server closed. Lean on
// purpose (the generator shares the machine with the server): a plain TCP socket, each request's
// bytes built into one reused string and sent with one write, responses read into a 64 KiB buffer.
#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common.hpp"

namespace nb {

struct HttpResult {
  int status = 0;  // 0: transport error (see error)
  std::string body;
  std::string error;
};

enum class Method { get, post };

// HTTP/1.1 responses read one after another from one connection's bytes, without I/O: the caller
// reads into space() and hands the count to commit(). Parsed by Beast's response parser
// (Content-Length, chunked, body until EOF); bytes after a complete response stay buffered for
// the next. The buffer starts at `capacity` and grows only for a header that does not fit.
class ResponseReader {
 public:
  enum class State { need_more, done, error };

  explicit ResponseReader(std::size_t capacity = 64 * 1024);
  ~ResponseReader();
  ResponseReader(const ResponseReader&) = delete;
  ResponseReader& operator=(const ResponseReader&) = delete;

  // Free room at the end of the buffer for the next read.
  asio::mutable_buffer space();
  // `n` bytes were read into space(): parse().
  State commit(std::size_t n);
  // Parses the buffered bytes into the current response; after `done` the next call starts the
  // following response.
  State parse();
  // The server closed the connection: completes a response delimited by EOF, otherwise `error`.
  State eof();
  // A new connection: drops buffered bytes and the response in progress.
  void reset();

  // Some byte of the current response arrived (EOF now is a truncated response, not a close
  // between responses).
  bool in_progress() const;
  // After `done`:
  int status() const;
  bool keep_alive() const;
  std::string take_body();
  // After `error`:
  const std::string& error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class HttpClient {
 public:
  HttpClient(asio::io_context& ioc, const Target& target, unsigned source_index = 0);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `token` empty: no Authorization header. `content_type` empty: no body.
  awaitable<HttpResult> request(Method m, std::string_view path, std::string_view token,
                                std::string_view content_type, std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// application/x-www-form-urlencoded encoding of one value.
std::string form_encode(std::string_view v);

// POST /api/auth/login (form email, name); returns the access token or throws std::runtime_error.
awaitable<std::string> login(HttpClient& http, const std::string& email, const std::string& name);

// Logs in every (email, name) with `concurrency` keep-alive connections; returns tokens in order.
awaitable<std::vector<std::string>> login_all(const Target& target,
                                              const std::vector<std::string>& emails,
                                              unsigned concurrency);

}  // namespace nb
