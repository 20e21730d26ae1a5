#include "daemon/webhooks.hpp"

#include "driftless/toolkit/hash.hpp"

namespace driftless::core {

WebhookVerdict verify_webhook(const WebhookSpec& hook, const std::string& secret,
                              const std::function<std::string(const std::string&)>& header, const std::string& body) {
  if (secret.empty()) return {500, false, "the webhook's secret file is empty or unreadable"};
  if (body.size() > kMaxWebhookBody) return {413, false, "body too large"};
  if (hook.type == "github") {
    const std::string signature = header("X-Hub-Signature-256");
    if (!constant_time_equal(signature, "sha256=" + hmac_sha256_hex(secret, body)))
      return {401, false, "bad or missing X-Hub-Signature-256"};
    const std::string event = header("X-GitHub-Event");
    if (event == "ping") return {200, false, "pong"};
    if (event != "push") return {202, false, "event '" + event + "' ignored; only push triggers a fetch"};
    return {200, true, "push received"};
  }
  if (hook.type == "gitlab") {
    if (!constant_time_equal(header("X-Gitlab-Token"), secret)) return {401, false, "bad or missing X-Gitlab-Token"};
    const std::string event = header("X-Gitlab-Event");
    if (event != "Push Hook" && event != "Tag Push Hook")
      return {202, false, "event '" + event + "' ignored; only push events trigger a fetch"};
    return {200, true, "push received"};
  }
  if (!constant_time_equal(header("X-Signature"), "sha256=" + hmac_sha256_hex(secret, body)))
    return {401, false, "bad or missing X-Signature"};
  return {200, true, "received"};
}

std::string delivery_id(const WebhookSpec& hook, const std::function<std::string(const std::string&)>& header) {
  if (hook.type == "github") return header("X-GitHub-Delivery");
  const std::string key = header("Idempotency-Key");
  if (!key.empty()) return key;
  return header(hook.type == "gitlab" ? "X-Gitlab-Event-UUID" : "X-Delivery-Id");
}

bool RecentDeliveries::first_time(const std::string& hook, const std::string& id, Clock::time_point now) {
  std::string key = sha256_hex(hook + '\n' + id);
  std::lock_guard lock(mutex_);
  while (!order_.empty() && (order_.size() >= capacity_ || now - order_.front().second > window_)) {
    seen_.erase(order_.front().first);
    order_.pop_front();
  }
  if (!seen_.insert(key).second) return false;
  order_.emplace_back(std::move(key), now);
  return true;
}

WebhookVerdict receive_webhook(const WebhookSpec& hook, const std::string& secret,
                               const std::function<std::string(const std::string&)>& header, const std::string& body,
                               RecentDeliveries& recent) {
  WebhookVerdict verdict = verify_webhook(hook, secret, header, body);
  if (verdict.status >= 300) return verdict;
  const std::string id = delivery_id(hook, header);
  if (!id.empty() && !recent.first_time(hook.name, id)) return {200, false, "this delivery was received before; ignored"};
  return verdict;
}

}  // namespace driftless::core
