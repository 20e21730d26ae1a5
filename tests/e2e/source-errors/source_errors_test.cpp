// End to end: the daemon on a repository of the tests/env smart-HTTP server,
// first with a wrong password. Status shows the server's refusal on every
// pipeline of the source — also on a forEachFolder pipeline that has no
// folders yet — and once the password file is right the pipelines expand and
// apply.
#include <gtest/gtest.h>

#include <regex>

#include "driftless/value.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The pipeline as `driftless status --output json` shows it; null when absent.
Value pipeline(const std::string& server, const std::string& name) {
  auto parsed = parse_json(run_driftless({"status", "--server", server, "--output", "json"}).out);
  const Value* list = parsed.ok() ? parsed->find("pipelines") : nullptr;
  for (std::size_t i = 0; list && i < list->as_array().size(); ++i)
    if (list->as_array()[i].string_or("name") == name) return list->as_array()[i];
  return Value();
}

std::string first_error(const Value& p) {
  const Value* errors = p.find("errors");
  return errors && errors->is_array() && !errors->as_array().empty() ? errors->as_array()[0].as_string() : std::string();
}

}  // namespace

TEST(SourceErrors, AWrongPasswordIsTheReasonShownOnEveryPipelineOfTheSource) {
  auto env = require_env();
  TestRepo repo("auth-errors");
  repo.commit({{"clusters/east/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: east, namespace: apps}\n"}}, "east");
  TempDir work;
  write_file(work / "password", "not-the-password\n");
  write_file(work / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
             "sources:\n- {name: fleet, type: git, url: " + env["GIT_HTTP_URL"] + repo.url_path() +
                 ", ref: {branch: main}, interval: 1s, auth: {username: " + env["GIT_HTTP_USER"] + ", passwordFile: password}}\n"
             "pipelines:\n"
             "- {name: \"{{folder}}\", source: fleet, forEachFolder: clusters/*, sink: {type: dir, path: \"out/{{folder}}\"}}\n"
             "- {name: east-fixed, source: fleet, path: clusters/east, sink: {type: dir, path: out/fixed}}\n");
  write_file(work / "lsan.supp", libgit2_leak_suppressions);
  BackgroundProcess daemon(
      BackgroundProcess::driftless_argv({"--config", (work / "driftless.yaml").string(), "--state-dir",
                                         (work / "state").string(), "--plugin-dir", plugin_dir().string(), "run"}),
      {{"LSAN_OPTIONS", "suppressions=" + (work / "lsan.supp").string()}});
  ASSERT_TRUE(daemon.wait_for_output("driftless is running", 30s)) << daemon.output();
  std::smatch m;
  const std::string log = daemon.output();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("listen=127\\.0\\.0\\.1:(\\d+)")));
  const std::string server = "127.0.0.1:" + m[1].str();

  ASSERT_TRUE(eventually([&] { return !first_error(pipeline(server, "east-fixed")).empty(); }, 30s)) << daemon.output();
  const std::string reason = first_error(pipeline(server, "east-fixed"));
  EXPECT_NE(reason.find("source 'fleet' could not be fetched (unauthorized)"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("not-the-password"), std::string::npos) << "no secret in status";
  EXPECT_EQ(pipeline(server, "east-fixed").string_or("state"), "pending");
  const Value folders = pipeline(server, "{{folder}}");
  EXPECT_EQ(folders.string_or("state"), "pending");
  EXPECT_EQ(first_error(folders), reason);
  auto status = run_driftless({"status", "--server", server});
  EXPECT_NE(status.out.find("could not be fetched (unauthorized)"), std::string::npos) << status.out;

  write_file(work / "password", env["GIT_HTTP_PASSWORD"] + "\n");  // read again at every fetch
  EXPECT_TRUE(eventually([&] { return pipeline(server, "east").string_or("state") == "ready"; }, 30s)) << daemon.output();
  EXPECT_TRUE(eventually([&] { return pipeline(server, "east-fixed").string_or("state") == "ready"; }, 30s));
  EXPECT_EQ(first_error(pipeline(server, "east")), "");
  EXPECT_TRUE(pipeline(server, "{{folder}}").is_null());
  EXPECT_TRUE(fs::exists(work / "out/east/apps/configmap-east.yaml"));
}
