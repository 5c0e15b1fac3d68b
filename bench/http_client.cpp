#include "http_client.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <netinet/in.h>

#include <stdexcept>

namespace nb {

namespace beast = boost::beast;
namespace bhttp = beast::http;

struct HttpClient::Impl {
  Impl(asio::io_context& ioc, const Target& t, unsigned src) : stream(ioc), target(t), source_index(src) {}
  beast::tcp_stream stream;
  const Target& target;
  unsigned source_index;
  beast::flat_buffer buf;
  bool connected = false;
  bhttp::request<bhttp::string_body> req;

  awaitable<boost::system::error_code> ensure_connected() {
    boost::system::error_code ec;
    if (connected) co_return ec;
    stream.close();
    buf.clear();
    auto& sock = stream.socket();
    if (target.source_addrs > 1 && target.endpoint.address().is_v4()) {
      sock.open(tcp::v4(), ec);
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      auto base = asio::ip::make_address_v4("127.0.0.1").to_uint();
      sock.bind(tcp::endpoint(asio::ip::address_v4(base + source_index % target.source_addrs), 0), ec);
      if (ec) co_return ec;
    }
    stream.expires_after(std::chrono::seconds(30));
    std::tie(ec) = co_await stream.async_connect(target.endpoint, base::as_result);
    if (!ec) {
      stream.socket().set_option(tcp::no_delay(true), ec);
      connected = true;
    }
    co_return ec;
  }
};

HttpClient::HttpClient(asio::io_context& ioc, const Target& target, unsigned source_index)
    : impl_(std::make_unique<Impl>(ioc, target, source_index)) {}

HttpClient::~HttpClient() = default;

awaitable<HttpResult> HttpClient::request(Method m, std::string_view path, std::string_view token,
                                          std::string_view content_type, std::string_view body) {
  HttpResult out;
  auto& im = *impl_;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = im.connected;
    if (auto ec = co_await im.ensure_connected(); ec) {
      out.error = "connect: " + ec.message();
      co_return out;
    }
    auto& req = im.req;
    req = {};
    req.version(11);
    req.method(m == Method::get ? bhttp::verb::get : bhttp::verb::post);
    req.target(path);
    req.set(bhttp::field::host, im.target.host_header);
    if (!token.empty()) req.set(bhttp::field::authorization, std::string("Bearer ").append(token));
    if (!content_type.empty()) {
      req.set(bhttp::field::content_type, content_type);
      req.body() = body;
    }
    req.prepare_payload();
    req.keep_alive(true);
    im.stream.expires_after(std::chrono::seconds(60));
    auto [wec, wn] = co_await bhttp::async_write(im.stream, req, base::as_result);
    bhttp::response<bhttp::string_body> res;
    boost::system::error_code rec;
    if (!wec) std::tie(rec, wn) = co_await bhttp::async_read(im.stream, im.buf, res, base::as_result);
    auto ec = wec ? wec : rec;
    if (ec) {
      im.connected = false;
      // A keep-alive connection the server closed meanwhile: retry once on a fresh one.
      if (reused && attempt == 0 &&
          (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
           ec == asio::error::eof || ec == asio::error::broken_pipe))
        continue;
      out.error = ec.message();
      co_return out;
    }
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    if (!res.keep_alive()) im.connected = false;
    co_return out;
  }
  co_return out;
}

std::string form_encode(std::string_view v) {
  static const char* hex = "0123456789ABCDEF";
  std::string s;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') s += static_cast<char>(c);
    else if (c == ' ') s += '+';
    else {
      s += '%';
      s += hex[c >> 4];
      s += hex[c & 15];
    }
  }
  return s;
}

awaitable<std::string> login(HttpClient& http, const std::string& email, const std::string& name) {
  std::string body = "email=" + form_encode(email) + "&name=" + form_encode(name);
  for (int attempt = 0;; ++attempt) {
    auto r = co_await http.request(Method::post, "/api/auth/login", {},
                                   "application/x-www-form-urlencoded", body);
    if (r.status == 200) {
      auto v = boost::json::parse(r.body);
      co_return std::string(v.at("access_token").as_string());
    }
    if (attempt >= 3 || (r.status >= 400 && r.status < 500))
      throw std::runtime_error("login " + email + " failed: " +
                               (r.status ? std::to_string(r.status) + " " + r.body : r.error));
    co_await sleep_for(0.05 * (attempt + 1));
  }
}

awaitable<std::vector<std::string>> login_all(const Target& target,
                                              const std::vector<std::string>& emails,
                                              unsigned concurrency) {
  std::vector<std::string> tokens(emails.size());
  auto& ioc = static_cast<asio::io_context&>((co_await asio::this_coro::executor).context());
  std::vector<std::unique_ptr<HttpClient>> clients;
  unsigned n = std::max(1u, std::min<unsigned>(concurrency, static_cast<unsigned>(emails.size())));
  for (unsigned i = 0; i < n; ++i) clients.push_back(std::make_unique<HttpClient>(ioc, target, i));
  std::vector<HttpClient*> free_clients;  // one request at a time per keep-alive connection
  for (auto& c : clients) free_clients.push_back(c.get());
  co_await parallel_for(emails.size(), n, [&](std::size_t i) -> awaitable<void> {
    HttpClient* c = free_clients.back();
    free_clients.pop_back();
    const std::string& e = emails[i];
    std::string name = e.substr(0, e.find('@'));
    tokens[i] = co_await login(*c, e, name);
    free_clients.push_back(c);
  });
  co_return tokens;
}

}  // namespace nb
