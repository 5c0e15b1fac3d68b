// natter's composition root: config → store → chat service → HTTP (REST + Socket.IO) → run.
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/rest_handler.hpp"
#include "app/secret.hpp"
#include "auth/token_service.hpp"
#include "base/io_pool.hpp"
#include "base/log.hpp"
#include "chat/presence.hpp"
#include "chat/service.hpp"
#include "config/config.hpp"
#include "http/server.hpp"
#include "realtime/chat_gateway.hpp"
#include "socketio/server.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace {

storage::Synchronous parse_sync(const std::string& s) {
  if (s == "off") return storage::Synchronous::off;
  if (s == "normal") return storage::Synchronous::normal;
  if (s == "extra") return storage::Synchronous::extra;
  return storage::Synchronous::full;
}

int run(const config::Config& cfg) {
  namespace fs = std::filesystem;
  namespace asio = boost::asio;
  fs::path data_dir = cfg.data_dir;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    spdlog::critical("cannot create data directory {}: {}", data_dir.string(), ec.message());
    return 1;
  }
  std::string secret = cfg.jwt_secret;
  if (secret.empty()) {
    secret = app::load_or_create_secret(data_dir);
    spdlog::info("using the JWT secret kept in {}", (data_dir / "jwt-secret").string());
  }
  auth::TokenService tokens(secret, cfg.jwt_expire_minutes * 60);

  storage::SqliteOptions so;
  so.path = (data_dir / "natter.db").string();
  so.synchronous = parse_sync(cfg.sqlite_synchronous);
  so.cache_bytes = cfg.cache_mb << 20;
  auto store = storage::SqliteStore::open(so);
  spdlog::info("store: SQLite {} (synchronous={}, read cache {} MiB)", so.path,
               cfg.sqlite_synchronous, cfg.cache_mb);

  unsigned threads = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  base::IoPool pool(threads);
  asio::io_context& ioc = pool.main();

  socketio::ServerOptions sio;
  sio.engine.path = cfg.socketio_path;
  sio.engine.ping_interval = std::chrono::milliseconds(cfg.ping_interval_ms);
  sio.engine.ping_timeout = std::chrono::milliseconds(cfg.ping_timeout_ms);
  sio.engine.max_payload = cfg.max_payload;
  sio.engine.cors_origins = cfg.cors_origins;
  sio.engine.cors_credentials = true;
  sio.connect_timeout = std::chrono::milliseconds(cfg.connect_timeout_ms);
  sio.engine.session_executor = [&pool] { return pool.next(); };
  sio.retain_handshake = false;  // the gateway reads the token at connect time only
  auto io = socketio::Server::create(ioc, sio);

  chat::LocalPresence presence;
  realtime::GatewayOptions gw_opts;
  gw_opts.presence_scope = cfg.presence_scope == config::PresenceScope::all
                               ? realtime::PresenceScope::all
                               : realtime::PresenceScope::contacts;
  realtime::ChatGateway gateway(*io, presence, tokens, gw_opts);
  chat::ServiceOptions svc_opts;
  svc_opts.max_message_length = cfg.max_message_length;
  chat::Service service(*store, presence, gateway, svc_opts);
  gateway.attach(service);
  http::ServerOptions ho;
  ho.host = cfg.host;
  ho.port = static_cast<unsigned short>(cfg.port);
  ho.connection_executor = [&pool] { return pool.next(); };
  http::Server server(ioc, ho);
  server.mount(cfg.socketio_path, io->http_handler());
  server.set_fallback(std::make_shared<api::RestHandler>(
      service, tokens, api::RestOptions{cfg.max_body_bytes, cfg.cors_origins}));
  // Graceful shutdown: stop accepting, let in-flight requests finish (bounded), then stop.
  // Signals are caught from here on, before the server announces itself.
  auto guard = asio::make_work_guard(ioc);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  auto deadline = std::chrono::steady_clock::now();
  std::function<void()> poll_drain = [&] {
    if (server.open_connections() == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (server.open_connections() != 0)
        spdlog::warn("shutdown: closing {} connections still open", server.open_connections());
      guard.reset();
      pool.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](boost::system::error_code) { poll_drain(); });
  };
  signals.async_wait([&](boost::system::error_code e, int sig) {
    if (e) return;
    spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg.shutdown_timeout_ms);
    server.stop();
    poll_drain();
  });

  server.start();
  spdlog::info("natter listening on http://{}:{} ({} threads, {} malloc)", cfg.host, server.port(),
               threads, NATTER_ALLOCATOR);

  pool.run();
  store->close();
  spdlog::info("natter stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = config::parse(argc, argv, config::process_env());
  if (!parsed.config) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  if (!base::init_logging(parsed.config->log_level)) {
    std::fprintf(stderr, "natter: unknown log level %s\n", parsed.config->log_level.c_str());
    return 2;
  }
  try {
    return run(*parsed.config);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
