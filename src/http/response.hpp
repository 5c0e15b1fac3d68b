#pragma once
// Helpers to build responses.
#include <boost/json/value.hpp>

#include <string_view>

#include "http/server.hpp"

namespace http {

Response make_response(const Request& req, Status status, std::string body,
                       std::string_view content_type);
Response json_response(const Request& req, Status status, const boost::json::value& body);
// Pass containers as json::value(std::move(x)): an array or object converts to a value by copy.
// {"detail": "<detail>"}
Response detail_response(const Request& req, Status status, std::string_view detail);

// Writes `res` (header rendered by hand into one buffer, body sent from its string: one gathered
// write, no Beast serializer state machine). Same bytes as write_response for a string body with
// Content-Length; returns false on I/O error.
base::awaitable<bool> write_flat(Connection& conn, const Response& res);

// Path part of a request target (before '?').
std::string_view target_path(std::string_view target);
// Query part (after '?', may be empty).
std::string_view target_query(std::string_view target);

}  // namespace http
