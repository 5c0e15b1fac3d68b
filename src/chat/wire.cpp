#include "chat/wire.hpp"

namespace chat::wire {
namespace json = boost::json;

namespace {
json::value opt_string(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
}  // namespace

json::object user_brief(const User& u) {
  json::object o;
  o["email"] = u.email;
  o["name"] = u.name;
  o["profile_image"] = opt_string(u.profile_image);
  return o;
}

json::object conversation(const Conversation& c, json::storage_ptr sp) {
  json::object o(6, sp);
  o.emplace("conversation_id", c.id.hex());
  json::array ps(sp);
  for (auto& p : c.participants) ps.emplace_back(p);
  o.emplace("participants", std::move(ps));
  return o;
}

}  // namespace chat::wire
