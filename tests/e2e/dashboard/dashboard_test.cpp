// End to end: the dashboard in a real browser (headless Chromium, driven by
// tests/browser/dashboard.mjs) against `driftless run` on a repository of the
// tests/env git server applying to the real kube-apiserver. The browser script
// and this test take turns: the script prints "STEP <name>" when its page is
// waiting for something to happen outside (a push to Git, a Deployment
// deleted by hand), this test does it and answers in <handshake>/<name>.done.
// Screenshots of every view go to DASHBOARD_SCREENSHOTS. A second test gives
// the daemon an API token and drives the actions (tests/browser/actions.mjs).
#include <gtest/gtest.h>

#include "running_daemon.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string deployment(const std::string& name) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  replicas: 1\n"
         "  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name + "}}\n"
         "    spec: {containers: [{name: web, image: registry.example/web:1}]}\n";
}

std::string config_map(const std::string& name, const std::string& color) {
  return "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {color: " + color + "}\n";
}

std::string secret(const std::string& name, const std::string& base64) {
  return "---\napiVersion: v1\nkind: Secret\nmetadata: {name: " + name + "}\ndata: {password: " + base64 + "}\n";
}

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ns_.created()) << "tests/env has no cluster, or the namespace was refused";
    ASSERT_TRUE(fs::exists(source_dir() / "tests/browser/node_modules/playwright-core"))
        << "run tests/browser/install (tests/run does) for playwright-core";
  }
  void TearDown() override { daemon_.reset(); }

  CommandResult kubectl(std::vector<std::string> args) { return ns_.kubectl(std::move(args)); }

  ClusterNamespace ns_{"dashboard"};
  TempDir work_;
  std::unique_ptr<RunningDaemon> daemon_;
};

}  // namespace

TEST_F(Dashboard, ShowsTheFleetANewRevisionLiveAHealedDeploymentAndADiffAndRefusesActionsWithoutAToken) {
  TestRepo repo("dashboard");
  repo.commit({{"clusters/east/app.yaml", deployment("web") + config_map("east-settings", "green")},
               {"clusters/west/app.yaml", config_map("west-settings", "red") + secret("west-secret", "cmVk")}},
              "first version");
  const fs::path config = work_ / "driftless.yaml";
  write_file(config, "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
                     "api: {tokenEnv: DRIFTLESS_DASHBOARD_TEST_NO_TOKEN}\n"
                     "sources:\n- {name: fleet, type: git, url: " + ns_.env("GIT_DAEMON_URL") + repo.url_path() +
                     ", ref: {branch: main}, interval: 1s}\n"
                     "pipelines:\n- name: \"{{folder}}\"\n  source: fleet\n  forEachFolder: clusters/*\n"
                     "  labels: {team: \"{{folder}}\"}\n"
                     "  sink: {type: kube, kubeconfig: " + ns_.env("KUBECONFIG") + ", namespace: " + ns_.name() + "}\n");
  // west is applied once by hand, then suspended (as `driftless suspend` leaves it): its
  // next change in Git stays a difference between Git and the cluster for the diff view.
  const fs::path state = work_ / "state";
  auto applied = run_driftless({"--config", config.string(), "--state-dir", state.string(), "--plugin-dir",
                                plugin_dir().string(), "apply", "--pipeline", "west"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  write_file(state / "suspended-pipelines", "west\n");

  daemon_ = std::make_unique<RunningDaemon>(config, state);
  ASSERT_TRUE(daemon_->started()) << daemon_->output();
  ASSERT_TRUE(eventually([&] { return daemon_->pipeline("east").string_or("state") == "ready"; }, 120s)) << daemon_->output();
  ASSERT_EQ(daemon_->pipeline("west").string_or("state"), "suspended");

  const fs::path handshake = work_ / "handshake";
  fs::create_directories(handshake);
  fs::create_directories(DASHBOARD_SCREENSHOTS);
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon_->port());
  BackgroundProcess browser({"node", (source_dir() / "tests/browser/dashboard.mjs").string(), "--url", url, "--out",
                             DASHBOARD_SCREENSHOTS, "--handshake", handshake.string(), "--work", (work_ / "chromium").string()});
  auto answer = [&](const std::string& step, const std::string& text) { write_file(handshake / (step + ".done"), text); };

  ASSERT_TRUE(browser.wait_for_output("STEP push", 120s)) << browser.output();
  const std::string commit = repo.commit({{"clusters/east/app.yaml", deployment("web") + config_map("east-settings", "yellow")},
                                          {"clusters/west/app.yaml", config_map("west-settings", "blue") + secret("west-secret", "Ymx1ZQ==")}},
                                         "paint it");
  answer("push", commit);

  ASSERT_TRUE(browser.wait_for_output("STEP delete", 120s)) << browser.output();
  ASSERT_EQ(kubectl({"delete", "deployment", "web", "-n", ns_.name()}).exit_code, 0);
  answer("delete", "web");

  EXPECT_EQ(browser.wait(std::chrono::seconds(300)), 0) << browser.output() << "\n--- daemon ---\n" << daemon_->output();
  EXPECT_EQ(kubectl({"get", "deployment", "web", "-n", ns_.name(), "-o", "name"}).exit_code, 0) << "healed";
  EXPECT_EQ(kubectl({"get", "configmap", "west-settings", "-n", ns_.name(), "-o", "jsonpath={.data.color}"}).out, "red")
      << "a suspended pipeline is not applied";
  for (const char* shot : {"fleet.png", "fleet-live.png", "fleet-phone-dark.png", "pipeline-healed.png", "diff.png"})
    EXPECT_TRUE(fs::exists(fs::path(DASHBOARD_SCREENSHOTS) / shot)) << shot;
}

TEST_F(Dashboard, WithATokenOffersActionsThatNeedIt) {
  TestRepo repo("dashboard-actions");
  repo.commit({{"clusters/east/app.yaml", config_map("east-settings", "green")}}, "first version");
  const fs::path config = work_ / "driftless.yaml";
  write_file(work_ / "api-token", "s3cret-token\n");
  write_file(config, "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
                     "api: {tokenFile: " + (work_ / "api-token").string() + "}\n"
                     "sources:\n- {name: fleet, type: git, url: " + ns_.env("GIT_DAEMON_URL") + repo.url_path() +
                     ", ref: {branch: main}, interval: 1s}\n"
                     "pipelines:\n- name: \"{{folder}}\"\n  source: fleet\n  forEachFolder: clusters/*\n"
                     "  sink: {type: kube, kubeconfig: " + ns_.env("KUBECONFIG") + ", namespace: " + ns_.name() + "}\n");
  daemon_ = std::make_unique<RunningDaemon>(config, work_ / "state");
  ASSERT_TRUE(daemon_->started()) << daemon_->output();
  ASSERT_TRUE(eventually([&] { return daemon_->pipeline("east").string_or("state") == "ready"; }, 120s)) << daemon_->output();

  fs::create_directories(DASHBOARD_SCREENSHOTS);
  BackgroundProcess browser({"node", (source_dir() / "tests/browser/actions.mjs").string(), "--url",
                             "http://127.0.0.1:" + std::to_string(daemon_->port()), "--out", DASHBOARD_SCREENSHOTS,
                             "--token", "s3cret-token", "--work", (work_ / "chromium").string()});
  EXPECT_EQ(browser.wait(std::chrono::seconds(180)), 0) << browser.output() << "\n--- daemon ---\n" << daemon_->output();
  EXPECT_EQ(daemon_->pipeline("east").string_or("state"), "ready");
  EXPECT_EQ(daemon_->output().find("s3cret-token"), std::string::npos) << "the token is never logged";
}
