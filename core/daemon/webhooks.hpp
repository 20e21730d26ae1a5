// Checks that a webhook request really comes from who it claims: GitHub
// (X-Hub-Signature-256 HMAC), GitLab (X-Gitlab-Token) or a generic sender
// (X-Signature: sha256=<HMAC of the body>).
#pragma once

#include <functional>
#include <string>

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

}  // namespace driftless::core
