#include "api_answer.hpp"

#include <gtest/gtest.h>

namespace driftless::kube {
namespace {

HttpResponse answer(long status, std::string body = {}, std::string retry_after = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!retry_after.empty()) r.headers.emplace_back("retry-after", std::move(retry_after));
  return r;
}

TEST(ApiAnswer, ThrottlingIsRetriedAfterTheServersRetryAfter) {
  const ApiAnswer a = ApiAnswer::of(answer(429, R"({"kind":"Status","reason":"TooManyRequests"})", "3"));
  EXPECT_EQ(a.outcome, ApiOutcome::throttled);
  EXPECT_EQ(a.retry_after, std::chrono::seconds(3));
  EXPECT_TRUE(a.retryable("PATCH"));
  EXPECT_TRUE(a.retryable("POST"));  // refused before it was carried out
  EXPECT_TRUE(a.cluster_unavailable());
  EXPECT_EQ(a.error_code(), ErrorCode::unavailable);
  EXPECT_EQ(ApiAnswer::of(answer(429, "", "Wed, 21 Oct 2015 07:28:00 GMT")).retry_after, std::chrono::seconds(0));
}

TEST(ApiAnswer, AServerNotReadyYetIsRetried) {
  EXPECT_EQ(ApiAnswer::of(answer(503)).outcome, ApiOutcome::unavailable);
  EXPECT_EQ(ApiAnswer::of(answer(502)).outcome, ApiOutcome::unavailable);
  const ApiAnswer initializing = ApiAnswer::of(
      answer(500, R"({"kind":"Status","message":"storage is (re)initializing","reason":"InternalError","code":500})"));
  EXPECT_EQ(initializing.outcome, ApiOutcome::unavailable);
  EXPECT_TRUE(initializing.retryable("GET"));
  const ApiAnswer other = ApiAnswer::of(answer(500, R"({"kind":"Status","message":"etcdserver: request timed out"})"));
  EXPECT_EQ(other.outcome, ApiOutcome::failed);
  EXPECT_FALSE(other.retryable("GET"));
  EXPECT_TRUE(other.cluster_unavailable());
}

TEST(ApiAnswer, AGatewayTimeoutIsRetriedOnlyWhereRepeatingIsHarmless) {
  const ApiAnswer a = ApiAnswer::of(answer(504));
  EXPECT_EQ(a.outcome, ApiOutcome::timeout);
  EXPECT_TRUE(a.retryable("PATCH"));
  EXPECT_TRUE(a.retryable("DELETE"));
  EXPECT_FALSE(a.retryable("POST"));
}

TEST(ApiAnswer, RequestProblemsAreNeverRetried) {
  const std::pair<long, ApiOutcome> cases[] = {{400, ApiOutcome::invalid},   {422, ApiOutcome::invalid},
                                               {401, ApiOutcome::unauthorized}, {403, ApiOutcome::forbidden},
                                               {404, ApiOutcome::not_found}, {409, ApiOutcome::conflict}};
  for (const auto& [status, outcome] : cases) {
    const ApiAnswer a = ApiAnswer::of(answer(status));
    EXPECT_EQ(a.outcome, outcome) << status;
    EXPECT_FALSE(a.retryable("GET")) << status;
    EXPECT_FALSE(a.cluster_unavailable()) << status;
  }
  EXPECT_EQ(ApiAnswer::of(answer(403)).error_code(), ErrorCode::unauthorized);
  EXPECT_EQ(ApiAnswer::of(answer(404)).error_code(), ErrorCode::not_found);
  EXPECT_EQ(ApiAnswer::of(answer(422)).error_code(), ErrorCode::invalid_input);
  EXPECT_EQ(ApiAnswer::of(answer(201)).outcome, ApiOutcome::ok);
}

TEST(ApiAnswer, NoAnswerAtAllIsUnreachableAndLeftToTheCore) {
  const ApiAnswer a = ApiAnswer::of(Result<HttpResponse>(fail(ErrorCode::unavailable, "connection refused")));
  EXPECT_EQ(a.outcome, ApiOutcome::unreachable);
  EXPECT_FALSE(a.retryable("GET"));
  EXPECT_TRUE(a.cluster_unavailable());
}

}  // namespace
}  // namespace driftless::kube
