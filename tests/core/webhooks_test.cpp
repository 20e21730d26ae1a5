#include <gtest/gtest.h>

#include <map>

#include "daemon/webhooks.hpp"
#include "driftless/toolkit/hash.hpp"

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

TEST(Webhooks, DeliveryIdsOfEachSender) {
  std::map<std::string, std::string> headers{{"X-GitHub-Delivery", "gh"}, {"X-Gitlab-Event-UUID", "gl"},
                                             {"X-Delivery-Id", "generic"}};
  auto header = [&](const std::string& k) { return headers[k]; };
  WebhookSpec hook;
  for (const auto& [type, id] : std::map<std::string, std::string>{{"github", "gh"}, {"gitlab", "gl"}, {"generic", "generic"}}) {
    hook.type = type;
    EXPECT_EQ(delivery_id(hook, header), id) << type;
  }
  headers["Idempotency-Key"] = "key";
  EXPECT_EQ(delivery_id(hook, header), "key");
}

TEST(Webhooks, ASignedDeliveryReceivedTwiceTriggersOnce) {
  WebhookSpec hook;
  hook.name = "h";
  hook.type = "generic";
  RecentDeliveries recent(16, std::chrono::hours(1));
  const std::string signature = "sha256=" + hmac_sha256_hex("s3cret", "x");
  auto receive = [&](std::map<std::string, std::string> headers) {
    return receive_webhook(hook, "s3cret", [&](const std::string& k) { return headers[k]; }, "x", recent);
  };
  // An unsigned request with the id is refused and not remembered.
  EXPECT_EQ(receive({{"X-Signature", "sha256=0"}, {"X-Delivery-Id", "1"}}).status, 401);
  EXPECT_TRUE(receive({{"X-Signature", signature}, {"X-Delivery-Id", "1"}}).trigger);
  auto again = receive({{"X-Signature", signature}, {"X-Delivery-Id", "1"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(again.trigger);
  EXPECT_TRUE(receive({{"X-Signature", signature}, {"X-Delivery-Id", "2"}}).trigger);
  EXPECT_TRUE(receive({{"X-Signature", signature}}).trigger) << "without an id nothing can be compared";
  EXPECT_TRUE(receive({{"X-Signature", signature}}).trigger);
}

TEST(Webhooks, RecentDeliveriesForgetAfterTheWindowAndBeyondTheCapacity) {
  using Clock = RecentDeliveries::Clock;
  const Clock::time_point t0{};
  RecentDeliveries recent(3, std::chrono::minutes(10));
  EXPECT_TRUE(recent.first_time("h", "a", t0));
  EXPECT_FALSE(recent.first_time("h", "a", t0 + std::chrono::minutes(9)));
  EXPECT_TRUE(recent.first_time("other-hook", "a", t0)) << "ids are per hook";
  EXPECT_TRUE(recent.first_time("h", "a", t0 + std::chrono::minutes(11))) << "the window is over";
  for (const char* id : {"b", "c", "d"}) EXPECT_TRUE(recent.first_time("h", id, t0 + std::chrono::minutes(12)));
  EXPECT_TRUE(recent.first_time("h", "a", t0 + std::chrono::minutes(12))) << "only the last 3 are kept";
  EXPECT_TRUE(recent.first_time("h", std::string(1 << 20, 'x'), t0)) << "a long id is kept as its digest";
}
