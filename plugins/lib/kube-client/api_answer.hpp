// What an answer of the API server means, decided in one place: success,
// "not now" (throttled, or the server not ready: worth sending again after a
// pause), or a failure of a kind callers tell apart — the cluster cannot
// answer, the request is not allowed, the object is invalid.
#pragma once

#include <driftless/toolkit/http.hpp>
#include <driftless/result.hpp>

#include <chrono>
#include <string>

namespace driftless::kube {

enum class ApiOutcome {
  ok,            ///< 2xx
  throttled,     ///< 429: too many requests (API priority and fairness), or a cache still (re)initializing
  unavailable,   ///< 502, 503, or 500 "storage is (re)initializing": the server cannot serve it yet
  timeout,       ///< 504: the server gave up waiting; the request may have been carried out
  unreachable,   ///< no HTTP answer at all: connection refused, TLS, a client-side timeout
  unauthorized,  ///< 401
  forbidden,     ///< 403
  not_found,     ///< 404
  conflict,      ///< 409: a field manager or resourceVersion conflict, or the object exists
  invalid,       ///< 400, 422 and other 4xx: the request itself is wrong
  failed,        ///< any other 5xx
};

/// One answer, classified.
struct ApiAnswer {
  ApiOutcome outcome = ApiOutcome::ok;
  std::chrono::seconds retry_after{0};  ///< the Retry-After header (seconds); 0 when absent

  static ApiAnswer of(const HttpResponse& response);
  /// A transport failure is `unreachable`.
  static ApiAnswer of(const Result<HttpResponse>& response);

  /// Worth sending again after a pause: throttled, unavailable, and timeout
  /// unless `method` is POST (repeating it could do it twice).
  bool retryable(const std::string& method) const;
  /// The cluster could not handle the request now, whatever the request was.
  bool cluster_unavailable() const;
  /// The ErrorCode of a failure with this outcome (the core's retry policy looks at it).
  ErrorCode error_code() const;
};

}  // namespace driftless::kube
