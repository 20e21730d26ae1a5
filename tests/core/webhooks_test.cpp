#include <gtest/gtest.h>

#include <map>

#include "daemon/webhooks.hpp"
#include "driftless/hash.hpp"

using namespace driftless;
using namespace driftless::core;

namespace {
WebhookVerdict judge(const std::string& type, std::map<std::string, std::string> headers, const std::string& body) {
  WebhookSpec hook;
  hook.name = "h";
  hook.type = type;
  return verify_webhook(hook, "s3cret", [&](const std::string& k) { return headers[k]; }, body);
}
}  // namespace

TEST(Webhooks, GithubPushWithAValidSignatureTriggers) {
  const std::string body = R"({"ref":"refs/heads/main"})";
  auto v = judge("github", {{"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex("s3cret", body)}, {"X-GitHub-Event", "push"}}, body);
  EXPECT_EQ(v.status, 200);
  EXPECT_TRUE(v.trigger);
}

TEST(Webhooks, GithubBadOrMissingSignatureIsRefused) {
  auto bad = judge("github", {{"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex("wrong", "{}")}, {"X-GitHub-Event", "push"}}, "{}");
  EXPECT_EQ(bad.status, 401);
  EXPECT_FALSE(bad.trigger);
  EXPECT_EQ(bad.message.find("s3cret"), std::string::npos);
  EXPECT_EQ(judge("github", {{"X-GitHub-Event", "push"}}, "{}").status, 401);
}

TEST(Webhooks, GithubPingAndOtherEventsDoNotTrigger) {
  auto ping = judge("github", {{"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex("s3cret", "{}")}, {"X-GitHub-Event", "ping"}}, "{}");
  EXPECT_EQ(ping.status, 200);
  EXPECT_FALSE(ping.trigger);
  auto issue = judge("github", {{"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex("s3cret", "{}")}, {"X-GitHub-Event", "issues"}}, "{}");
  EXPECT_FALSE(issue.trigger);
}

TEST(Webhooks, Gitlab) {
  EXPECT_TRUE(judge("gitlab", {{"X-Gitlab-Token", "s3cret"}, {"X-Gitlab-Event", "Push Hook"}}, "{}").trigger);
  EXPECT_EQ(judge("gitlab", {{"X-Gitlab-Token", "nope"}, {"X-Gitlab-Event", "Push Hook"}}, "{}").status, 401);
}

TEST(Webhooks, GenericHmac) {
  EXPECT_TRUE(judge("generic", {{"X-Signature", "sha256=" + hmac_sha256_hex("s3cret", "x")}}, "x").trigger);
  EXPECT_EQ(judge("generic", {{"X-Signature", "sha256=" + hmac_sha256_hex("s3cret", "x")}}, "y").status, 401);
}

TEST(Webhooks, OversizedBodyIsRefused) {
  const std::string big(kMaxWebhookBody + 1, 'x');
  EXPECT_EQ(judge("generic", {{"X-Signature", "sha256=" + hmac_sha256_hex("s3cret", big)}}, big).status, 413);
}
