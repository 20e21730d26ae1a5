// An authenticated client of one API server: adds the bearer token (static,
// from a file, or from an exec plugin, cached until it expires), impersonation
// headers and the base URL to each request, sends again what the server
// answered "not now" (429, 503, ...) after its Retry-After, as kubectl does,
// and counts reads and writes.
#pragma once

#include <driftless/toolkit/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api_answer.hpp"
#include "connection.hpp"

namespace driftless::kube {

/// Acting as another user (`impersonate:` in the sink config), so a tenant's
/// pipeline is held to that user's RBAC.
struct Impersonation {
  std::string user;
  std::vector<std::string> groups;
};

/// Request totals since the client was made; dry runs are not writes.
/// `retries` counts requests sent again after a "not now" answer (also
/// counted as reads, writes or dry runs).
struct RequestCounts {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  std::uint64_t dry_runs = 0;
  std::uint64_t retries = 0;
};

/// Counts the requests its thread sends while it lives: one sync's requests,
/// though other syncs (and drift heals) share the client meanwhile.
class RequestTally {
 public:
  RequestTally();
  ~RequestTally();
  RequestTally(const RequestTally&) = delete;
  RequestTally& operator=(const RequestTally&) = delete;
  const RequestCounts& counts() const { return counts_; }

 private:
  friend class KubeClient;
  RequestCounts counts_;
  RequestTally* outer_;
};

/// Requests answered "not now" (ApiAnswer::retryable) are sent again after
/// the server's Retry-After (at most 10 s) or, without one, a pause growing
/// from 250 ms, at most 10 times. While a RetryDeadline lives on a thread, the
/// requests of that thread wait for a retry only when it ends before the
/// deadline and the work is not cancelled: a sync sets its own. Without one,
/// the retries of one call stop after 30 s.
class RetryDeadline {
 public:
  RetryDeadline(std::chrono::steady_clock::time_point deadline, std::function<bool()> cancelled);
  ~RetryDeadline();
  RetryDeadline(const RetryDeadline&) = delete;
  RetryDeadline& operator=(const RetryDeadline&) = delete;

 private:
  friend class KubeClient;
  friend bool pause_before_retry(std::chrono::milliseconds, std::chrono::steady_clock::time_point);
  std::chrono::steady_clock::time_point deadline_;
  std::function<bool()> cancelled_;
  RetryDeadline* outer_;
};

/// Sleeps `length` before trying something again, unless that would end
/// after `give_up` or the thread's RetryDeadline; false then, or when the
/// work is cancelled meanwhile.
bool pause_before_retry(std::chrono::milliseconds length,
                        std::chrono::steady_clock::time_point give_up = std::chrono::steady_clock::time_point::max());

class KubeClient {
 public:
  KubeClient(ClusterAccess access, Impersonation impersonation, std::chrono::milliseconds timeout);

  /// A request for `path` ("/api/v1/namespaces") with JSON accepted.
  HttpRequest request(std::string method, std::string path, std::string body = {},
                      std::string content_type = {}) const;

  /// Sends with credentials; a 401 refreshes exec/file credentials and retries
  /// once; "not now" answers are retried (RetryDeadline).
  Result<HttpResponse> send(HttpRequest request);
  /// Many requests, at most `concurrency` at once; results in order. Retries as send().
  std::vector<Result<HttpResponse>> send_all(std::vector<HttpRequest> requests, std::size_t concurrency);
  /// A streamed request (watches).
  Result<HttpResponse> stream(HttpRequest request, const std::function<bool(std::string_view)>& on_data);

  RequestCounts counts() const;
  const ClusterAccess& access() const { return access_; }

 private:
  struct Credentials {
    std::string token;
    std::shared_ptr<HttpClient> http;
  };
  Result<Credentials> credentials(bool refresh);
  Result<void> run_exec_plugin();
  void count(const HttpRequest& request);
  std::vector<Result<HttpResponse>> send_authenticated(std::vector<HttpRequest> requests, std::size_t concurrency);

  ClusterAccess access_;
  Impersonation impersonation_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::shared_ptr<HttpClient> http_;
  std::string token_;
  std::chrono::system_clock::time_point token_expiry_ = std::chrono::system_clock::time_point::max();
  std::chrono::steady_clock::time_point token_read_{};
  std::atomic<std::uint64_t> reads_{0}, writes_{0}, dry_runs_{0}, retries_{0};
};

/// The message of a Kubernetes Status body, or the HTTP status with the start of the body.
std::string api_message(const HttpResponse& response);

/// Why a request failed, for messages: "the cluster is unavailable (<why>)" when
/// ApiAnswer::cluster_unavailable() (no fault of the request), else the server's
/// message, or the transport error.
std::string failure_message(const Result<HttpResponse>& response);

/// An Error for a failed API response, its code from ApiAnswer::error_code().
Error api_error(const HttpResponse& response, const std::string& what);

}  // namespace driftless::kube
