#include "api_answer.hpp"

#include <charconv>

namespace driftless::kube {
namespace {

// The watch cache of a resource answers so while it (re)fills from etcd: right
// after a CustomResourceDefinition is created, or after an apiserver restart.
bool storage_initializing(const HttpResponse& response) {
  return response.body.find("storage is (re)initializing") != std::string::npos;
}

std::chrono::seconds retry_after_of(const HttpResponse& response) {
  const std::string* header = response.header("retry-after");
  long seconds = 0;
  if (!header || std::from_chars(header->data(), header->data() + header->size(), seconds).ec != std::errc() || seconds < 0)
    return std::chrono::seconds(0);  // an HTTP date (never sent by the API server) counts as absent
  return std::chrono::seconds(seconds);
}

ApiOutcome outcome_of(const HttpResponse& response) {
  const long status = response.status;
  if (status / 100 == 2) return ApiOutcome::ok;
  switch (status) {
    case 429: return ApiOutcome::throttled;
    case 502:
    case 503: return ApiOutcome::unavailable;
    case 504: return ApiOutcome::timeout;
    case 401: return ApiOutcome::unauthorized;
    case 403: return ApiOutcome::forbidden;
    case 404: return ApiOutcome::not_found;
    case 409: return ApiOutcome::conflict;
    default: break;
  }
  if (status >= 500) return storage_initializing(response) ? ApiOutcome::unavailable : ApiOutcome::failed;
  return ApiOutcome::invalid;
}

}  // namespace

ApiAnswer ApiAnswer::of(const HttpResponse& response) { return {outcome_of(response), retry_after_of(response)}; }

ApiAnswer ApiAnswer::of(const Result<HttpResponse>& response) {
  return response.ok() ? of(*response) : ApiAnswer{ApiOutcome::unreachable, std::chrono::seconds(0)};
}

bool ApiAnswer::retryable(const std::string& method) const {
  return outcome == ApiOutcome::throttled || outcome == ApiOutcome::unavailable ||
         (outcome == ApiOutcome::timeout && method != "POST");
}

bool ApiAnswer::cluster_unavailable() const {
  return outcome == ApiOutcome::throttled || outcome == ApiOutcome::unavailable || outcome == ApiOutcome::timeout ||
         outcome == ApiOutcome::unreachable || outcome == ApiOutcome::failed;
}

ErrorCode ApiAnswer::error_code() const {
  if (cluster_unavailable()) return ErrorCode::unavailable;
  switch (outcome) {
    case ApiOutcome::unauthorized:
    case ApiOutcome::forbidden: return ErrorCode::unauthorized;
    case ApiOutcome::not_found: return ErrorCode::not_found;
    default: return ErrorCode::invalid_input;
  }
}

}  // namespace driftless::kube
