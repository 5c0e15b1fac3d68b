#include "sio_codec.hpp"

#include <cctype>
#include <cstring>

namespace nb::sio {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits an event array ["name", arg...] into name and the text of the arguments. Event names of
// the chat API never contain escapes; an escaped quote is skipped over but left in the view.
bool split_event(std::string_view arr, std::string_view& name, std::string_view& data) {
  arr = trim(arr);
  if (arr.size() < 2 || arr.front() != '[' || arr.back() != ']') return false;
  std::string_view in = trim(arr.substr(1, arr.size() - 2));
  if (in.empty() || in.front() != '"') return false;
  std::size_t i = 1;
  while (i < in.size() && in[i] != '"') i += (in[i] == '\\') ? 2 : 1;
  if (i >= in.size()) return false;
  name = in.substr(1, i - 1);
  std::string_view rest = trim(in.substr(i + 1));
  if (rest.empty()) {
    data = {};
    return true;
  }
  if (rest.front() != ',') return false;
  data = trim(rest.substr(1));
  return true;
}

}  // namespace

// The shape every chat event arrives in: 42["name",<json>] or 42["name"] (default namespace, no
// ack id, no spaces, no escape in the name). One memchr instead of the general path's scans;
// false for anything else, which the general path then decodes.
bool decode_compact_event(std::string_view t, Frame& f) {
  if (t.size() < 6 || t.compare(0, 4, "42[\"") != 0 || t.back() != ']') return false;
  const auto* q = static_cast<const char*>(std::memchr(t.data() + 4, '"', t.size() - 4));
  if (q == nullptr) return false;
  const auto end = static_cast<std::size_t>(q - t.data());  // the closing quote of the name
  const auto name = t.substr(4, end - 4);
  if (name.find('\\') != std::string_view::npos || end + 2 > t.size()) return false;
  const char next = t[end + 1];
  if (next == ']' && end + 2 == t.size()) {
    f.data = {};
  } else if (next == ',' && end + 3 < t.size() && !is_space(t[end + 2]) && !is_space(t[t.size() - 2])) {
    f.data = t.substr(end + 2, t.size() - end - 3);
  } else {
    return false;
  }
  f.kind = Kind::sio_event;
  f.event = name;
  f.json = t.substr(2);
  return true;
}

Frame decode(std::string_view t) {
  Frame f;
  if (t.empty()) return f;
  if (t[0] == '4' && decode_compact_event(t, f)) return f;
  switch (t[0]) {
    case '0': f.kind = Kind::eio_open; f.json = t.substr(1); return f;
    case '1': f.kind = Kind::eio_close; return f;
    case '2': f.kind = Kind::eio_ping; f.json = t.substr(1); return f;
    case '3': f.kind = Kind::eio_pong; f.json = t.substr(1); return f;
    case '5': f.kind = Kind::eio_upgrade; return f;
    case '6': f.kind = Kind::eio_noop; return f;
    case '4': break;
    default: return f;
  }
  // Socket.IO packet: <type>[<attachments>-][/<nsp>,][<ack id>][JSON]
  std::string_view p = t.substr(1);
  if (p.empty() || p[0] < '0' || p[0] > '6') return f;
  char type = p[0];
  p.remove_prefix(1);
  if (type == '5' || type == '6') {
    f.kind = Kind::sio_binary;
    return f;
  }
  if (!p.empty() && p[0] == '/') {
    auto comma = p.find(',');
    if (comma == std::string_view::npos) {
      f.nsp = p;
      p = {};
    } else {
      f.nsp = p.substr(0, comma);
      p.remove_prefix(comma + 1);
    }
  }
  if (!p.empty() && std::isdigit(static_cast<unsigned char>(p[0]))) {
    std::int64_t id = 0;
    while (!p.empty() && std::isdigit(static_cast<unsigned char>(p[0]))) {
      id = id * 10 + (p[0] - '0');
      p.remove_prefix(1);
    }
    f.ack_id = id;
  }
  f.json = p;
  switch (type) {
    case '0': f.kind = Kind::sio_connect; return f;
    case '1': f.kind = Kind::sio_disconnect; return f;
    case '3': f.kind = Kind::sio_ack; return f;
    case '4': f.kind = Kind::sio_connect_error; return f;
    case '2':
      if (split_event(p, f.event, f.data)) f.kind = Kind::sio_event;
      return f;
    default: return f;
  }
}

std::string encode_connect(std::string_view auth_json) {
  std::string s = "40";
  s += auth_json;
  return s;
}

void append_event(std::string& out, std::string_view name, std::string_view data_json) {
  out += "42[\"";
  out += name;
  out += '"';
  if (!data_json.empty()) {
    out += ',';
    out += data_json;
  }
  out += ']';
}

std::string encode_event(std::string_view name, std::string_view data_json) {
  std::string s;
  s.reserve(name.size() + data_json.size() + 8);
  append_event(s, name, data_json);
  return s;
}

}  // namespace nb::sio
