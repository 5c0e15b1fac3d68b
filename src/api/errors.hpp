#pragma once
// The one mapping from chat::Error to an HTTP response.
#include <string_view>

#include "chat/error.hpp"
#include "http/server.hpp"

namespace api {

// `location` is the FastAPI loc prefix for validation errors ("body", "query", "path").
http::Response error_response(const http::Request& req, const chat::Error& e,
                              std::string_view location);

}  // namespace api
