#include "http_client.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <variant>
#include <vector>

namespace nb {

namespace bhttp = boost::beast::http;

// ---- ResponseReader ----

struct ResponseReader::Impl {
  explicit Impl(std::size_t cap) : capacity(cap) {}
  std::size_t capacity;
  std::vector<char> buf;        // allocated on the first read
  std::size_t begin = 0, end = 0;  // unparsed bytes
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  std::string error;

  void start() {
    parser.emplace();
    parser->body_limit(boost::none);
    parser->eager(true);  // header and body in one put() when both are there
  }
  State fail(const boost::system::error_code& ec) {
    error = ec.message();
    return State::error;
  }
};

ResponseReader::ResponseReader(std::size_t capacity) : impl_(std::make_unique<Impl>(capacity)) {}
ResponseReader::~ResponseReader() = default;

asio::mutable_buffer ResponseReader::space() {
  auto& im = *impl_;
  if (im.begin == im.end) im.begin = im.end = 0;
  if (im.buf.empty()) im.buf.resize(im.capacity);
  if (im.end == im.buf.size()) {
    if (im.begin > 0) {  // move the unparsed tail to the front
      std::memmove(im.buf.data(), im.buf.data() + im.begin, im.end - im.begin);
      im.end -= im.begin;
      im.begin = 0;
    } else {  // a header bigger than the buffer
      im.buf.resize(im.buf.size() * 2);
    }
  }
  return asio::buffer(im.buf.data() + im.end, im.buf.size() - im.end);
}

ResponseReader::State ResponseReader::commit(std::size_t n) {
  impl_->end += n;
  return parse();
}

ResponseReader::State ResponseReader::parse() {
  auto& im = *impl_;
  if (!im.parser || im.parser->is_done()) im.start();
  auto& p = *im.parser;
  while (!p.is_done()) {
    if (im.begin == im.end) return State::need_more;
    boost::system::error_code ec;
    std::size_t used = p.put(asio::const_buffer(im.buf.data() + im.begin, im.end - im.begin), ec);
    im.begin += used;
    if (ec == bhttp::error::need_more) return State::need_more;
    if (ec) return im.fail(ec);
    if (used == 0) return State::need_more;
  }
  return State::done;
}

ResponseReader::State ResponseReader::eof() {
  auto& im = *impl_;
  if (!im.parser || im.parser->is_done() || !im.parser->got_some()) {  // between two responses
    im.error = "end of stream";
    return State::error;
  }
  boost::system::error_code ec;
  im.parser->put_eof(ec);
  if (ec) return im.fail(ec);
  return im.parser->is_done() ? State::done : State::need_more;
}

void ResponseReader::reset() {
  impl_->begin = impl_->end = 0;
  impl_->parser.reset();
}

bool ResponseReader::in_progress() const {
  const auto& im = *impl_;
  return im.begin != im.end || (im.parser && !im.parser->is_done() && im.parser->got_some());
}

int ResponseReader::status() const { return static_cast<int>(impl_->parser->get().result_int()); }
bool ResponseReader::keep_alive() const { return impl_->parser->get().keep_alive(); }
std::string ResponseReader::take_body() { return std::move(impl_->parser->get().body()); }
const std::string& ResponseReader::error() const { return impl_->error; }

// ---- HttpClient ----

struct HttpClient::Impl {
  Impl(asio::io_context& ioc, const Target& t, unsigned src) : sock(ioc), target(t), source_index(src) {}
  tcp::socket sock;
  const Target& target;
  unsigned source_index;
  bool connected = false;
  std::string req;  // the request's bytes, reused
  ResponseReader reader;

  void disconnect() {
    boost::system::error_code ignored;
    sock.close(ignored);
    reader.reset();
    connected = false;
  }

  awaitable<boost::system::error_code> ensure_connected() {
    using namespace asio::experimental::awaitable_operators;
    boost::system::error_code ec;
    if (connected) co_return ec;
    disconnect();
    if (target.source_addrs > 1 && target.endpoint.address().is_v4()) {
      sock.open(tcp::v4(), ec);
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      auto base = asio::ip::make_address_v4("127.0.0.1").to_uint();
      sock.bind(tcp::endpoint(asio::ip::address_v4(base + source_index % target.source_addrs), 0), ec);
      if (ec) co_return ec;
    }
    asio::steady_timer timeout(sock.get_executor(), std::chrono::seconds(30));
    auto r = co_await (sock.async_connect(target.endpoint, base::as_result) ||
                       timeout.async_wait(base::as_result));
    ec = r.index() == 0 ? std::get<0>(std::get<0>(r)) : asio::error::timed_out;
    if (!ec) {
      sock.set_option(tcp::no_delay(true), ec);
      connected = true;
    }
    co_return ec;
  }

  // Request line and headers (Connection: keep-alive is HTTP/1.1's default), then the body.
  void build(Method m, std::string_view path, std::string_view token, std::string_view content_type,
             std::string_view body) {
    auto line = [this](std::initializer_list<std::string_view> parts) {
      for (auto part : parts) req += part;
      req += "\r\n";
    };
    req.clear();
    line({m == Method::get ? "GET " : "POST ", path, " HTTP/1.1"});
    line({"Host: ", target.host_header});
    if (!token.empty()) line({"Authorization: Bearer ", token});
    if (!content_type.empty()) line({"Content-Type: ", content_type});
    if (!content_type.empty() || m == Method::post) {
      char n[24];
      auto end = std::to_chars(n, n + sizeof n, content_type.empty() ? 0 : body.size()).ptr;
      line({"Content-Length: ", std::string_view(n, static_cast<std::size_t>(end - n))});
    }
    line({});
    if (!content_type.empty()) req += body;
  }

  // Writes `req` and reads one response into `out`. An error code for transport errors (EOF
  // before any byte of the response: asio::error::eof); parse errors go to out.error.
  awaitable<boost::system::error_code> exchange(HttpResult& out) {
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(req), base::as_result);
    if (ec) co_return ec;
    using State = ResponseReader::State;
    State st = reader.parse();  // bytes left over from the previous read
    bool closed = false;
    while (st == State::need_more) {
      std::tie(ec, n) = co_await sock.async_read_some(reader.space(), base::as_result);
      if (ec == asio::error::eof) {
        if (!reader.in_progress()) co_return ec;
        closed = true;
        st = reader.eof();
        if (st == State::need_more) co_return ec;
      } else if (ec) {
        co_return ec;
      } else {
        st = reader.commit(n);
      }
    }
    if (st == State::error) {
      out.error = "bad response: " + reader.error();
      disconnect();
      co_return ec;
    }
    out.status = reader.status();
    out.body = reader.take_body();
    if (closed || !reader.keep_alive()) disconnect();
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
  im.build(m, path, token, content_type, body);
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = im.connected;
    if (auto ec = co_await im.ensure_connected(); ec) {
      out.error = "connect: " + ec.message();
      co_return out;
    }
    auto ec = co_await im.exchange(out);
    if (ec) {
      im.disconnect();
      // A keep-alive connection the server closed meanwhile: retry once on a fresh one.
      if (reused && attempt == 0 &&
          (ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::broken_pipe))
        continue;
      out.error = ec == asio::error::eof ? "end of stream" : ec.message();
      co_return out;
    }
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
