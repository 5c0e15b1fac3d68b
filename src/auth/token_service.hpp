#pragma once
// HS256 JSON Web Tokens (RFC 7519) for natter's bearer auth. Only HS256 is accepted: any other
// `alg`, `none` included, is refused.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace auth {

struct Claims {
  std::string subject;           // `sub`: the user's email
  std::int64_t issued_at = 0;    // `iat`, Unix seconds
  std::int64_t expires_at = 0;   // `exp`, Unix seconds
};

enum class TokenError { malformed, bad_signature, unsupported_algorithm, expired, missing_subject };
std::string_view describe(TokenError e);

class TokenService {
 public:
  // `secret` must be non-empty. `lifetime_seconds` > 0.
  TokenService(std::string secret, std::int64_t lifetime_seconds);

  std::string issue(std::string_view subject, std::int64_t now_seconds) const;
  // Successful verifications are cached per thread by exact token text (expiry is rechecked on
  // every call), so a client reusing its token costs a hash lookup, not an HMAC.
  base::Result<Claims, TokenError> verify(std::string_view token, std::int64_t now_seconds) const;
  std::int64_t lifetime_seconds() const { return lifetime_; }

 private:
  std::string sign(std::string_view signing_input) const;
  base::Result<Claims, TokenError> verify_uncached(std::string_view token,
                                                   std::int64_t now_seconds) const;
  std::string secret_;
  std::int64_t lifetime_;
  std::uint64_t instance_;  // keys the per-thread HMAC context and verified-token cache
};

// URL-safe base64 without padding (RFC 7515 §2), and its inverse (false on bad input).
std::string base64url_encode(std::string_view in);
bool base64url_decode(std::string_view in, std::string& out);

}  // namespace auth
