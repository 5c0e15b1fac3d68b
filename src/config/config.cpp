#include "config/config.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <sstream>

namespace config {
namespace {

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ',')) {
    auto b = cur.find_first_not_of(" \t");
    auto e = cur.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    out.push_back(cur.substr(b, e - b + 1));
  }
  return out;
}

std::string join_csv(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

Env process_env() {
  return [](const char* name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name)) return std::string(v);
    return std::nullopt;
  };
}

ParseOutcome parse(int argc, const char* const* argv, const Env& env) {
  Config c;
  CLI::App app{
      "natter: a chat server (REST + Socket.IO) implementing the Chat Socket Backend API.\n"
      "Every option can also be set by the environment variable shown (flags win)."};
  app.set_version_flag("--version", "natter 0.1.0");
  app.get_formatter()->column_width(40);

  // Environment first: NATTER_* wins over the legacy names. CLI11 then overrides with flags.
  auto from_env = [&](std::initializer_list<const char*> names) -> std::optional<std::string> {
    for (const char* n : names)
      if (auto v = env(n); v && !v->empty()) return v;
    return std::nullopt;
  };
  std::string cors = join_csv(c.cors_origins);
  std::string presence = "contacts";
  std::vector<std::string> env_errors;
  auto env_into = [&](auto& field, std::initializer_list<const char*> names) {
    auto v = from_env(names);
    if (!v) return;
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::string>) {
      field = *v;
    } else {
      T parsed{};
      if (!CLI::detail::lexical_cast(*v, parsed)) {
        env_errors.push_back(std::string(*names.begin()) + "=" + *v + " is not a valid number");
        return;
      }
      field = parsed;
    }
  };
  env_into(c.host, {"NATTER_HOST", "HOST"});
  env_into(c.port, {"NATTER_PORT", "PORT"});
  env_into(c.data_dir, {"NATTER_DATA_DIR"});
  env_into(c.threads, {"NATTER_THREADS"});
  env_into(c.log_level, {"NATTER_LOG_LEVEL"});
  env_into(c.jwt_secret, {"NATTER_JWT_SECRET", "JWT_SECRET_KEY"});
  env_into(c.jwt_expire_minutes, {"NATTER_JWT_EXPIRE_MINUTES", "JWT_EXPIRE_MINUTES"});
  env_into(cors, {"NATTER_CORS_ORIGINS", "CORS_ORIGINS"});
  env_into(c.sqlite_synchronous, {"NATTER_SQLITE_SYNCHRONOUS"});
  env_into(c.cache_mb, {"NATTER_CACHE_MB"});
  env_into(c.max_message_length, {"NATTER_MAX_MESSAGE_LENGTH"});
  env_into(c.max_body_bytes, {"NATTER_MAX_BODY_BYTES"});
  env_into(presence, {"NATTER_PRESENCE_SCOPE"});
  env_into(c.ping_interval_ms, {"NATTER_PING_INTERVAL_MS"});
  env_into(c.ping_timeout_ms, {"NATTER_PING_TIMEOUT_MS"});
  env_into(c.connect_timeout_ms, {"NATTER_CONNECT_TIMEOUT_MS"});
  env_into(c.max_payload, {"NATTER_MAX_PAYLOAD"});
  env_into(c.shutdown_timeout_ms, {"NATTER_SHUTDOWN_TIMEOUT_MS"});
  if (!env_errors.empty()) return {std::nullopt, 2, "natter: " + env_errors.front() + "\n"};

  app.add_option("--host", c.host, "Address to listen on [env NATTER_HOST, HOST]")
      ->capture_default_str();
  app.add_option("--port", c.port, "TCP port; 0 picks a free one [env NATTER_PORT, PORT]")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--data-dir", c.data_dir,
                 "Directory for natter.db and the generated JWT secret [env NATTER_DATA_DIR]")
      ->capture_default_str();
  app.add_option("--threads", c.threads, "I/O threads; 0 = one per core [env NATTER_THREADS]")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--log-level", c.log_level,
                 "trace|debug|info|warn|error|off; debug logs every request [env NATTER_LOG_LEVEL]")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--jwt-secret", c.jwt_secret,
                 "HS256 signing secret; default: random, generated on first start and kept in "
                 "<data-dir>/jwt-secret [env NATTER_JWT_SECRET, JWT_SECRET_KEY]");
  app.add_option("--jwt-expire-minutes", c.jwt_expire_minutes,
                 "Token lifetime in minutes [env NATTER_JWT_EXPIRE_MINUTES, JWT_EXPIRE_MINUTES]")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{525600 * 10}));
  app.add_option("--cors-origins", cors,
                 "Comma-separated allowed CORS origins, or * [env NATTER_CORS_ORIGINS, "
                 "CORS_ORIGINS]")
      ->capture_default_str();
  app.add_option("--sqlite-synchronous", c.sqlite_synchronous,
                 "SQLite durability: off|normal|full|extra [env NATTER_SQLITE_SYNCHRONOUS]")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "normal", "full", "extra"}));
  app.add_option("--cache-mb", c.cache_mb,
                 "Memory for the read cache of users, conversation lists and each "
                 "conversation's newest messages, in MiB; 0 disables it [env NATTER_CACHE_MB]")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20));
  app.add_option("--max-message-length", c.max_message_length,
                 "Longest chat message in characters [env NATTER_MAX_MESSAGE_LENGTH]")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--max-body-bytes", c.max_body_bytes,
                 "Largest HTTP request body; larger gets 413 [env NATTER_MAX_BODY_BYTES]")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  app.add_option("--presence-scope", presence,
                 "contacts: user_online/user_offline reach only users who share a conversation; "
                 "all: every connected user [env NATTER_PRESENCE_SCOPE]")
      ->capture_default_str()
      ->check(CLI::IsMember({"contacts", "all"}));
  app.add_option("--socketio-path", c.socketio_path, "Socket.IO endpoint path")
      ->capture_default_str();
  app.add_option("--ping-interval-ms", c.ping_interval_ms,
                 "Engine.IO ping interval [env NATTER_PING_INTERVAL_MS]")
      ->capture_default_str()
      ->check(CLI::Range(50u, 3600000u));
  app.add_option("--ping-timeout-ms", c.ping_timeout_ms,
                 "Engine.IO ping timeout [env NATTER_PING_TIMEOUT_MS]")
      ->capture_default_str()
      ->check(CLI::Range(50u, 3600000u));
  app.add_option("--connect-timeout-ms", c.connect_timeout_ms,
                 "Close sessions that send no Socket.IO CONNECT within this time "
                 "[env NATTER_CONNECT_TIMEOUT_MS]")
      ->capture_default_str()
      ->check(CLI::Range(100u, 3600000u));
  app.add_option("--max-payload", c.max_payload,
                 "Engine.IO maxPayload in bytes [env NATTER_MAX_PAYLOAD]")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  app.add_option("--shutdown-timeout-ms", c.shutdown_timeout_ms,
                 "On SIGINT/SIGTERM, wait this long for in-flight requests "
                 "[env NATTER_SHUTDOWN_TIMEOUT_MS]")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, 0, app.help()};
  } catch (const CLI::CallForVersion&) {
    return {std::nullopt, 0, "natter 0.1.0\n"};
  } catch (const CLI::ParseError& e) {
    std::ostringstream err;
    err << "natter: " << e.what() << "\nRun with --help for usage.\n";
    return {std::nullopt, e.get_exit_code() == 0 ? 2 : e.get_exit_code(), err.str()};
  }
  c.cors_origins = split_csv(cors);
  c.presence_scope = presence == "all" ? PresenceScope::all : PresenceScope::contacts;
  if (c.socketio_path.empty() || c.socketio_path.front() != '/') c.socketio_path.insert(0, "/");
  if (c.socketio_path.back() != '/') c.socketio_path.push_back('/');
  return {c, 0, {}};
}

}  // namespace config
