#include "socketio/server.hpp"

#include "engineio/server.hpp"
#include "socketio/client.hpp"

namespace socketio {

std::shared_ptr<Server> Server::create(boost::asio::io_context& ioc, ServerOptions opts) {
  return std::make_shared<Server>(ioc, std::move(opts));
}

Server::Server(boost::asio::io_context& ioc, ServerOptions opts)
    : opts_(std::move(opts)),
      core_(std::make_shared<Core>(opts_)),
      engine_(engineio::Server::create(ioc, opts_.engine, core_)) {}

Server::~Server() = default;

Namespace& Server::of(std::string_view name) { return core_->of(name); }

Namespace* Server::find(std::string_view name) const { return core_->find(name); }

std::shared_ptr<http::Handler> Server::http_handler() const { return engine_; }

void Server::shutdown() { engine_->shutdown(); }

}  // namespace socketio
