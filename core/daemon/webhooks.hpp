// Checks that a webhook request really comes from who it claims: GitHub
// (X-Hub-Signature-256 HMAC), GitLab (X-Gitlab-Token) or a generic sender
// (X-Signature: sha256=<HMAC of the body>), and that it was not received
// before (the sender's delivery id).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>

#include "config/config.hpp"

namespace driftless::core {

/// Largest webhook body accepted; larger ones are refused unread.
inline constexpr std::size_t kMaxWebhookBody = 1024 * 1024;

struct WebhookVerdict {
  int status = 200;      ///< HTTP status to answer
  bool trigger = false;  ///< fetch the hook's sources now
  std::string message;   ///< for the response body and the log; never holds the secret
};

/// Judges one request. `header` returns a request header ("" when absent);
/// `secret` is the content of the hook's secret file.
WebhookVerdict verify_webhook(const WebhookSpec& hook, const std::string& secret,
                              const std::function<std::string(const std::string&)>& header, const std::string& body);

/// The id the sender gives this delivery, the same when it delivers again:
/// GitHub X-GitHub-Delivery; GitLab Idempotency-Key, else X-Gitlab-Event-UUID;
/// generic Idempotency-Key, else X-Delivery-Id. "" when there is none.
std::string delivery_id(const WebhookSpec& hook, const std::function<std::string(const std::string&)>& header);

/// The deliveries accepted lately, so that a redelivered or replayed webhook
/// is answered but triggers nothing. Bounded: the last `capacity` deliveries,
/// each for `window`; an id takes the same few bytes however long it is.
class RecentDeliveries {
 public:
  using Clock = std::chrono::steady_clock;
  RecentDeliveries(std::size_t capacity, Clock::duration window) : capacity_(capacity), window_(window) {}
  /// Records the delivery `id` of `hook`; false when it was recorded before, within the window.
  bool first_time(const std::string& hook, const std::string& id, Clock::time_point now = Clock::now());

 private:
  std::size_t capacity_;
  Clock::duration window_;
  std::mutex mutex_;
  std::deque<std::pair<std::string, Clock::time_point>> order_;  ///< oldest first
  std::unordered_set<std::string> seen_;
};

/// verify_webhook, and then: a delivery whose id was accepted before is
/// answered 200 and triggers nothing. Only signed deliveries are recorded.
WebhookVerdict receive_webhook(const WebhookSpec& hook, const std::string& secret,
                               const std::function<std::string(const std::string&)>& header, const std::string& body,
                               RecentDeliveries& recent);

}  // namespace driftless::core
