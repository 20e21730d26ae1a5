#include <gtest/gtest.h>

#include "driftless/process.hpp"

using namespace driftless;
using namespace std::chrono_literals;

TEST(Process, CapturesOutputExitCodeAndFeedsInput) {
  ProcessRequest request;
  request.argv = {"sh", "-c", "cat; echo oops >&2; exit 3"};
  request.input = std::string(300000, 'x');
  auto result = run_process(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->out.size(), 300000u);
  EXPECT_EQ(result->err, "oops\n");
}

TEST(Process, EnvironmentIsMinimal) {
  ::setenv("DRIFTLESS_TEST_SECRET", "hunter2", 1);
  ProcessRequest request;
  request.argv = {"env"};
  request.env = {{"EXTRA", "1"}};
  auto result = run_process(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->out.find("hunter2"), std::string::npos);
  EXPECT_NE(result->out.find("EXTRA=1\n"), std::string::npos);
  EXPECT_NE(result->out.find("PATH="), std::string::npos);
}

TEST(Process, DeadlineKillsTheProcessGroup) {
  ProcessRequest request;
  request.argv = {"sh", "-c", "sleep 30 & sleep 30"};
  request.deadline = std::chrono::steady_clock::now() + 300ms;
  auto start = std::chrono::steady_clock::now();
  auto result = run_process(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Process, MissingProgramIsNotFound) {
  ProcessRequest request;
  request.argv = {"driftless-no-such-program"};
  auto result = run_process(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::not_found);
}
