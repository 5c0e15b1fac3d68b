#pragma once
// natter's configuration: one struct with documented defaults, filled by parse() from flags and
// environment. Precedence: flag > NATTER_* variable > legacy variable (the Python prototype's
// JWT_SECRET_KEY, JWT_EXPIRE_MINUTES, CORS_ORIGINS, HOST, PORT) > default.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace config {

enum class PresenceScope { contacts, all };

struct Config {
  std::string host = "127.0.0.1";
  unsigned port = 8000;  // 0 = pick a free port (logged at startup)
  std::string data_dir = "./data";  // holds natter.db and the generated jwt secret
  unsigned threads = 0;             // 0 = one per core
  std::string log_level = "info";

  std::string jwt_secret;           // empty = generated once and kept in <data_dir>/jwt-secret
  std::int64_t jwt_expire_minutes = 24 * 60;

  std::vector<std::string> cors_origins{"http://localhost:3000"};  // "*" allows any origin

  std::string sqlite_synchronous = "full";  // off|normal|full|extra
  std::size_t cache_mb = 64;                 // read cache of the store; 0 disables
  std::size_t max_message_length = 4096;    // characters (Unicode code points)
  std::size_t max_body_bytes = 1 << 20;     // HTTP request bodies

  PresenceScope presence_scope = PresenceScope::contacts;
  std::string socketio_path = "/socket.io/";
  unsigned ping_interval_ms = 25000;
  unsigned ping_timeout_ms = 20000;
  unsigned connect_timeout_ms = 45000;
  std::size_t max_payload = 1000000;
  unsigned shutdown_timeout_ms = 10000;  // how long to wait for in-flight work on SIGTERM
};

using Env = std::function<std::optional<std::string>(const char*)>;
Env process_env();

struct ParseOutcome {
  std::optional<Config> config;  // set when the server should run
  int exit_code = 0;             // when config is empty: exit with this code
  std::string output;            // text to print (help, version or error), to stdout if exit 0
};

ParseOutcome parse(int argc, const char* const* argv, const Env& env);

}  // namespace config
