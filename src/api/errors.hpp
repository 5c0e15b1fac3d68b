#pragma once
// The one mapping from chat::Error to an HTTP response.
#include <string_view>
#include <utility>
#include <vector>

#include "chat/error.hpp"
#include "http/server.hpp"

namespace api {

// `location` is the FastAPI loc prefix for validation errors ("body", "query", "path").
http::Response error_response(const http::Request& req, const chat::Error& e,
                              std::string_view location);
// 422 listing several validation errors (FastAPI reports every invalid field at once). Each
// error's location is given alongside it.
http::Response validation_response(
    const http::Request& req, const std::vector<std::pair<chat::Error, std::string>>& errors);

}  // namespace api
