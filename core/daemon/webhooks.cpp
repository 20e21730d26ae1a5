#include "daemon/webhooks.hpp"

#include "driftless/hash.hpp"

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

}  // namespace driftless::core
