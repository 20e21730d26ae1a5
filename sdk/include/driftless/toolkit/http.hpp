// An HTTP(S) client for plugins that talk to servers (the Kubernetes API, S3,
// chart repositories): thread-safe, reuses connections, speaks HTTP/2 when the
// server offers it (many requests multiplexed on one connection), verifies TLS
// unless told otherwise by name, and keeps secrets out of every error message.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "driftless/result.hpp"

namespace driftless {

/// TLS settings of a client. For each role, PEM text wins over a file.
struct TlsOptions {
  std::string ca_file;           ///< trusted CAs (PEM bundle); empty with empty ca_pem = the system store
  std::string ca_pem;            ///< trusted CAs as PEM text
  std::string client_cert_file;  ///< client certificate (PEM) for mutual TLS
  std::string client_cert_pem;
  std::string client_key_file;   ///< its private key (PEM)
  std::string client_key_pem;    ///< secret: never logged
  /// Skips certificate and host name checks. Only set this when the user asked
  /// for it by name (e.g. `insecure-skip-tls-verify: true`).
  bool insecure_skip_verify = false;
};

/// Settings shared by every request of one client.
struct HttpClientOptions {
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};
  std::string user_agent = "driftless";
};

/// AWS Signature Version 4 signing (S3 and compatible servers).
struct AwsSigV4 {
  std::string provider;    ///< "aws:amz:<region>:<service>", e.g. "aws:amz:us-east-1:s3"
  std::string access_key;
  std::string secret_key;  ///< secret: never logged
};

/// One request. Header names are case-insensitive.
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Sent as "Authorization: Bearer <token>" when not empty; secret.
  std::string bearer_token;
  std::optional<AwsSigV4> aws_sigv4;
  /// Limit for the whole request, connection included.
  std::chrono::milliseconds timeout{30'000};
  /// A longer response body fails the request (unless streamed).
  std::size_t max_response_bytes = 64u << 20;
  /// Polled while the request runs; returning true aborts it (ErrorCode::cancelled).
  std::function<bool()> cancelled;
};

/// A response of any status; only transport failures are Errors.
struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
  std::string body;
  int http_version = 0;  ///< 1 or 2

  /// Value of the first header named `name` (lower case), or nullptr.
  const std::string* header(std::string_view name) const;
};

/// Thread-safe HTTP client with pooled connections. Create one per server (or
/// per set of credentials) and share it; every method may be called from any thread.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request and reads the whole response.
  Result<HttpResponse> send(const HttpRequest& request);

  /// Sends many requests, at most `concurrency` in flight at once (multiplexed
  /// over shared connections on HTTP/2). Results are in the order of `requests`.
  std::vector<Result<HttpResponse>> send_all(const std::vector<HttpRequest>& requests, std::size_t concurrency);

  /// Sends one request and hands the body to `on_data` piece by piece as it
  /// arrives (watches, downloads); the returned response has an empty body.
  /// Returning false from `on_data` ends the request early, without error.
  Result<HttpResponse> stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_data);

  /// Requests sent so far by method ("GET" -> 12, "PATCH" -> 3), for tests,
  /// benchmarks and "no-op costs no write" checks.
  std::map<std::string, std::uint64_t> request_counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// `url` without user info and query string: safe to show in messages.
std::string redact_url(std::string_view url);

/// "ssh://git@host/org/repo" for an scp-like Git address "git@host:org/repo"
/// (a user, '@', a host, ':', a path; no scheme); "" for anything else.
std::string ssh_url_of_scp_like(std::string_view address);

/// `text` with '%XX' escapes for everything but unreserved characters (RFC 3986),
/// for query parameter values and path segments.
std::string url_encode(std::string_view text);

}  // namespace driftless
