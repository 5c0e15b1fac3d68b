#include "chat/validation.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

#include "base/utf8.hpp"

namespace chat {

Result<std::string> normalize_email(std::string_view raw, std::string_view field) {
  std::string e(base::trim(raw));
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string f(field);
  if (e.empty()) return fail(invalid(f, "field required", "value_error.missing"));
  auto at = e.find('@');
  bool ok = e.size() <= 254 && at != std::string::npos && at > 0 && at == e.rfind('@') &&
            at + 1 < e.size();
  if (ok) {
    std::string_view domain = std::string_view(e).substr(at + 1);
    auto dot = domain.find('.');
    ok = dot != std::string_view::npos && dot > 0 && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
    for (unsigned char c : e)
      if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' ||
          c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
        ok = false;
    if (!base::utf8_length(e)) ok = false;
  }
  if (!ok) return fail(invalid(f, "value is not a valid email address", "value_error.email"));
  return e;
}

Result<std::string> validate_name(std::string_view raw) {
  std::string_view n = base::trim(raw);
  auto len = base::utf8_length(n);
  if (!len) return fail(invalid("name", "name must be valid UTF-8", "value_error.str"));
  if (*len == 0)
    return fail(invalid("name", "ensure this value has at least 1 characters",
                        "value_error.any_str.min_length"));
  if (*len > 100)
    return fail(invalid("name", "ensure this value has at most 100 characters",
                        "value_error.any_str.max_length"));
  return std::string(n);
}

Result<std::optional<std::string>> validate_profile_image(std::optional<std::string_view> raw) {
  if (!raw) return std::optional<std::string>{};
  std::string_view v = base::trim(*raw);
  if (v.empty()) return std::optional<std::string>{};
  auto bad = [] {
    return fail(invalid("profile_image", "profile_image must be an http or https URL",
                        "value_error.url.scheme"));
  };
  if (v.size() > 2048) return bad();
  const std::string input(v);  // NUL-terminated: libboost_url 1.81 may strlen() its input
  auto u = boost::urls::parse_absolute_uri(input);
  if (!u) return bad();
  auto scheme = u->scheme_id();
  if ((scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) ||
      !u->has_authority() || u->encoded_host().empty())
    return bad();
  return std::optional<std::string>(std::string(v));
}

Result<std::string> validate_message_body(std::string_view raw, std::size_t max_chars) {
  auto len = base::utf8_length(raw);
  if (!len) return fail(invalid("message", "message must be valid UTF-8", "value_error.str"));
  if (base::trim(raw).empty())
    return fail(invalid("message", "message must not be empty", "value_error.any_str.min_length"));
  if (*len > max_chars)
    return fail(invalid("message",
                        "ensure this value has at most " + std::to_string(max_chars) + " characters",
                        "value_error.any_str.max_length"));
  return std::string(raw);
}

Result<MessageType> validate_message_type(std::optional<std::string_view> raw) {
  if (!raw) return MessageType::text;
  if (auto t = parse_message_type(*raw)) return *t;
  return fail(invalid("message_type", "message_type must be one of: text, image, file",
                      "value_error.enum"));
}

Result<ConversationId> parse_conversation_id(std::string_view raw) {
  if (auto id = base::ObjectId::parse(raw)) return *id;
  return fail(make_error(Errc::conversation_not_found, "Conversation not found"));
}

}  // namespace chat
