#pragma once
// A keep-alive HTTP/1.1 client: one request at a time, reconnects when the server closed.
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
