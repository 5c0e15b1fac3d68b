#include "auth/token_service.hpp"

#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <array>
#include <atomic>
#include <functional>
#include <stdexcept>

namespace auth {
namespace json = boost::json;

std::string_view describe(TokenError e) {
  switch (e) {
    case TokenError::malformed: return "Malformed token";
    case TokenError::bad_signature: return "Invalid token signature";
    case TokenError::unsupported_algorithm: return "Unsupported token algorithm";
    case TokenError::expired: return "Token has expired";
    case TokenError::missing_subject: return "Token has no subject";
  }
  return "Invalid token";
}

std::string base64url_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

bool base64url_decode(std::string_view in, std::string& out) {
  if (in.size() % 4 == 1) return false;
  std::string std_b64(in);
  for (char& c : std_b64) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return false;
  }
  std::size_t pad = (4 - std_b64.size() % 4) % 4;
  std_b64.append(pad, '=');
  out.assign(std_b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(std_b64.data()),
                          static_cast<int>(std_b64.size()));
  if (n < 0) return false;
  out.resize(static_cast<std::size_t>(n) - pad);
  return true;
}

namespace {

std::atomic<std::uint64_t> next_instance{1};

// One HMAC-SHA256 context per thread, keyed once: EVP_MAC_init with a NULL key restarts from the
// precomputed inner/outer pads instead of fetching the algorithm and hashing the key again.
struct ThreadMac {
  std::uint64_t owner = 0;
  EVP_MAC_CTX* ctx = nullptr;
  ~ThreadMac() { EVP_MAC_CTX_free(ctx); }
};

EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// Tokens this thread verified successfully, by exact text: a hit skips base64, JSON and HMAC;
// expiry is still checked on every use. Direct-mapped, bounded; failures are never cached.
struct VerifiedToken {
  std::uint64_t owner = 0;
  std::string token;
  Claims claims;
};
constexpr std::size_t kTokenCacheSlots = 256;
thread_local std::array<VerifiedToken, kTokenCacheSlots> token_cache;

}  // namespace

TokenService::TokenService(std::string secret, std::int64_t lifetime_seconds)
    : secret_(std::move(secret)), lifetime_(lifetime_seconds),
      instance_(next_instance.fetch_add(1, std::memory_order_relaxed)) {
  if (secret_.empty()) throw std::invalid_argument("JWT secret must not be empty");
  if (lifetime_ <= 0) throw std::invalid_argument("JWT lifetime must be positive");
}

std::string TokenService::sign(std::string_view signing_input) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  thread_local ThreadMac tm;
  bool ok = false;
  if (tm.owner != instance_ || tm.ctx == nullptr) {
    EVP_MAC_CTX_free(tm.ctx);
    tm.owner = 0;
    tm.ctx = hmac_algorithm() ? EVP_MAC_CTX_new(hmac_algorithm()) : nullptr;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (tm.ctx && EVP_MAC_init(tm.ctx, reinterpret_cast<const unsigned char*>(secret_.data()),
                               secret_.size(), params) == 1) {
      tm.owner = instance_;
      ok = true;
    }
  } else {
    ok = EVP_MAC_init(tm.ctx, nullptr, 0, nullptr) == 1;
  }
  ok = ok &&
       EVP_MAC_update(tm.ctx, reinterpret_cast<const unsigned char*>(signing_input.data()),
                      signing_input.size()) == 1 &&
       EVP_MAC_final(tm.ctx, mac, &len, sizeof mac) == 1;
  if (!ok) {  // fall back to the one-shot API
    tm.owner = 0;
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
              reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
              mac, &n))
      throw std::runtime_error("HMAC-SHA256 failed");
    len = n;
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string TokenService::issue(std::string_view subject, std::int64_t now_seconds) const {
  static const std::string kHeader = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  json::object payload;
  payload["sub"] = subject;
  payload["iat"] = now_seconds;
  payload["exp"] = now_seconds + lifetime_;
  std::string input = kHeader + "." + base64url_encode(json::serialize(payload));
  std::string sig = sign(input);
  return input + "." + sig;
}

base::Result<Claims, TokenError> TokenService::verify(std::string_view token,
                                                      std::int64_t now_seconds) const {
  auto& slot = token_cache[std::hash<std::string_view>{}(token) % kTokenCacheSlots];
  if (slot.owner == instance_ && slot.token == token) {
    if (now_seconds >= slot.claims.expires_at) return base::fail(TokenError::expired);
    return slot.claims;
  }
  auto r = verify_uncached(token, now_seconds);
  if (r) {
    slot.owner = instance_;
    slot.token.assign(token);
    slot.claims = *r;
  }
  return r;
}

base::Result<Claims, TokenError> TokenService::verify_uncached(std::string_view token,
                                                               std::int64_t now_seconds) const {
  using base::fail;
  auto d1 = token.find('.');
  if (d1 == std::string_view::npos) return fail(TokenError::malformed);
  auto d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return fail(TokenError::malformed);
  std::string header_raw, payload_raw;
  if (!base64url_decode(token.substr(0, d1), header_raw) ||
      !base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), payload_raw))
    return fail(TokenError::malformed);

  boost::system::error_code ec;
  json::value header = json::parse(header_raw, ec);
  if (ec || !header.is_object()) return fail(TokenError::malformed);
  auto* alg = header.as_object().if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256")
    return fail(TokenError::unsupported_algorithm);

  // Constant-time comparison of the signature.
  std::string expected = sign(token.substr(0, d2));
  std::string_view given = token.substr(d2 + 1);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
    return fail(TokenError::bad_signature);

  json::value payload = json::parse(payload_raw, ec);
  if (ec || !payload.is_object()) return fail(TokenError::malformed);
  const auto& obj = payload.as_object();
  Claims c;
  auto* sub = obj.if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->as_string().empty())
    return fail(TokenError::missing_subject);
  c.subject = std::string(sub->as_string());
  auto number = [](const json::value* v, std::int64_t& out) {
    if (v == nullptr) return false;
    if (v->is_int64()) out = v->as_int64();
    else if (v->is_uint64()) out = static_cast<std::int64_t>(v->as_uint64());
    else if (v->is_double()) out = static_cast<std::int64_t>(v->as_double());
    else return false;
    return true;
  };
  // `exp` is required: natter never issues tokens that live forever, and accepts none.
  if (!number(obj.if_contains("exp"), c.expires_at)) return fail(TokenError::malformed);
  if (obj.contains("iat") && !number(obj.if_contains("iat"), c.issued_at))
    return fail(TokenError::malformed);
  if (now_seconds >= c.expires_at) return fail(TokenError::expired);
  return c;
}

}  // namespace auth
