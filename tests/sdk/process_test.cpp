#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "driftless/toolkit/process.hpp"
#include "support.hpp"

using namespace driftless;
using namespace std::chrono_literals;

namespace {
ProcessSpec shell(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  return spec;
}
}  // namespace

TEST(Process, CapturesOutputAndExitCodeInTheWorkingDir) {
  test::TempDir dir;
  ProcessSpec spec = shell("pwd; echo oops >&2; exit 3");
  spec.working_dir = dir.path();
  auto r = run_process(spec);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, std::filesystem::canonical(dir.path()).string() + "\n");
  EXPECT_EQ(r->err, "oops\n");
}

TEST(Process, EnvironmentIsOnlyWhatWasGiven) {
  setenv("DRIFTLESS_SECRET_FOR_TEST", "leak", 1);
  setenv("DRIFTLESS_ALLOWED_FOR_TEST", "copied", 1);
  ProcessSpec spec = shell("env | sort");
  spec.env["HOME"] = "/nonexistent-home";
  spec.inherit = {"DRIFTLESS_ALLOWED_FOR_TEST"};
  auto r = run_process(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.find("DRIFTLESS_SECRET_FOR_TEST"), std::string::npos);
  EXPECT_NE(r->out.find("DRIFTLESS_ALLOWED_FOR_TEST=copied\n"), std::string::npos);
  EXPECT_NE(r->out.find("HOME=/nonexistent-home\n"), std::string::npos);
  EXPECT_NE(r->out.find("PATH=/usr/bin:/bin\n"), std::string::npos);
}

TEST(Process, TimeoutKillsTheWholeProcessGroup) {
  test::TempDir dir;
  // The grandchild would write a file after the timeout if it survived.
  ProcessSpec spec = shell("(sleep 2; touch " + (dir / "survived").string() + ") & sleep 30");
  spec.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto r = run_process(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::timeout);
  EXPECT_NE(r.error().message.find("sh did not finish"), std::string::npos) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  std::this_thread::sleep_for(2500ms);
  EXPECT_FALSE(std::filesystem::exists(dir / "survived"));
}

TEST(Process, OutputOverTheCapStopsTheTool) {
  ProcessSpec spec = shell("yes driftless");
  spec.max_output = 100000;
  auto r = run_process(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("wrote more than 100000 bytes to stdout"), std::string::npos) << r.error().message;
}

TEST(Process, AFileOverTheCapIsNotWritten) {
  test::TempDir dir;
  ProcessSpec spec = shell("head -c 10000 /dev/zero > " + (dir / "download").string());
  spec.max_file_size = 1000;
  auto r = run_process(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("sh tried to write a file over 1000 bytes and was refused"), std::string::npos)
      << r.error().message;
  EXPECT_LE(std::filesystem::file_size(dir / "download"), 1000u);
  spec.max_file_size = 10000;
  auto fits = run_process(spec);
  ASSERT_TRUE(fits.ok()) << fits.error().message;
  EXPECT_EQ(fits->exit_code, 0);
}

TEST(Process, CancellationStopsTheTool) {
  ProcessSpec spec = shell("sleep 30");
  spec.cancelled = [] { return true; };
  auto r = run_process(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::cancelled);
}

TEST(Process, MissingProgramIsAClearError) {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/tool"};
  auto r = run_process(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot run /nonexistent/tool"), std::string::npos) << r.error().message;
}

TEST(Process, FindToolSaysHowToFixAMissingTool) {
  auto missing = find_tool("no-such-tool-driftless", "", "noSuchToolPath");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "no-such-tool-driftless not found on PATH: install no-such-tool-driftless or set noSuchToolPath");
  auto configured = find_tool("sh", "/bin/sh", "shPath");
  ASSERT_TRUE(configured.ok());
  EXPECT_EQ(configured->string(), "/bin/sh");
  EXPECT_FALSE(find_tool("sh", "/nonexistent/sh", "shPath").ok());
}

TEST(Process, InputIsFedToStandardInputAndBareNamesAreFoundOnPath) {
  driftless::ProcessSpec spec;
  spec.argv = {"cat"};
  spec.input = std::string(300 * 1024, 'x') + "end";  // more than a pipe holds at once
  auto ran = driftless::run_process(spec);
  ASSERT_TRUE(ran.ok()) << ran.error().message;
  EXPECT_EQ(ran->exit_code, 0);
  EXPECT_EQ(ran->out.size(), spec.input.size());
  EXPECT_EQ(ran->out.substr(ran->out.size() - 3), "end");
}

TEST(Process, UnknownBareNameIsNotFound) {
  driftless::ProcessSpec spec;
  spec.argv = {"no-such-tool-anywhere"};
  auto ran = driftless::run_process(spec);
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().code, driftless::ErrorCode::not_found);
  EXPECT_NE(ran.error().message.find("not found on PATH"), std::string::npos);
}
