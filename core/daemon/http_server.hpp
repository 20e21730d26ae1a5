// A small HTTP/1.1 server (Boost.Beast) that stays up under hostile clients:
// every connection has a deadline for its request head and one for its body,
// bodies are capped while they are read (chunked or not), the number of
// connections is capped, and the last few slots are kept for the cheap
// endpoints (health, readiness, metrics) so probes answer while slow clients
// hold the rest. Routes live in HttpApi; this class knows none of them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "driftless/result.hpp"

namespace driftless::core {

struct ServedRequest {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< the target without its query string
  std::string query;   ///< the query string as sent (after '?'), still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
  /// The first query parameter of that name, decoded ('+' is a space), or "".
  std::string param(std::string_view name) const;
  /// Every query parameter of that name, decoded, in order.
  std::vector<std::string> params(std::string_view name) const;
};

/// A response body written as it is produced (Server-Sent Events): after the
/// head the server asks take() every HttpLimits::stream_poll and writes what
/// it returns, until it returns nullopt or a write misses the write timeout
/// (a client that does not read is dropped, never buffered for).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  /// What to send now ("" when nothing yet), or nullopt when the stream is over.
  virtual std::optional<std::string> take() = 0;
};

struct ServedResponse {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  ServedResponse(int status_code = 200, std::string type = "application/json", std::string text = {}, Headers extra = {})
      : status(status_code), content_type(std::move(type)), body(std::move(text)), headers(std::move(extra)) {}

  int status;
  std::string content_type;
  std::string body;
  Headers headers;  ///< besides Content-Type and Content-Length
  /// Set: the body is this stream (`body` is ignored), and the connection closes after it.
  std::shared_ptr<ResponseStream> stream;
};

/// A JSON answer {"message": text}, the shape of every answer that is not data.
ServedResponse json_message(int status, std::string_view text);

using HttpHandler = std::function<ServedResponse(const ServedRequest&)>;

struct HttpLimits {
  std::size_t max_head = 16 * 1024;    ///< request line and headers
  std::size_t max_body = 1024 * 1024;  ///< checked while the body is read, chunked or not
  /// From accepting a connection (or the end of the previous response) to the
  /// last byte of the request head: a client trickling bytes cannot stretch it.
  std::chrono::milliseconds head_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};  ///< the whole body, after the head
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 64;  ///< beyond this, connections are closed at once
  /// The last `reserved_connections` of those slots serve only GET of
  /// `reserved_paths`, one request each, with `reserved_head_timeout`.
  std::size_t reserved_connections = 8;
  std::vector<std::string> reserved_paths;
  std::chrono::milliseconds reserved_head_timeout{2'000};
  std::size_t max_requests_per_connection = 100;
  std::chrono::milliseconds stream_poll{200};  ///< how often a ResponseStream is asked for more
};

/// Parses one complete request from `bytes` with the server's own parser
/// settings: the seam for fuzzing and for unit tests of the limits. The error
/// message starts with the HTTP status the server would answer.
Result<ServedRequest> parse_http_request(std::string_view bytes, const HttpLimits& limits);

class HttpServer {
 public:
  HttpServer(HttpHandler handler, HttpLimits limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds `listen` (HOST:PORT; port 0 picks a free one) and serves on two threads.
  Result<void> start(const std::string& listen);
  /// The port actually bound.
  int port() const { return port_; }
  /// Closes the listening socket and every connection; idempotent.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
  int port_ = 0;
};

}  // namespace driftless::core
