// End to end: the daemon on a Git repository served by tests/env, one
// pipeline per folder of clusters/, applying to the real kube-apiserver. A
// folder pushed to Git becomes a pipeline and is applied; a folder removed
// from Git has its objects deleted only when pruneOnFolderRemoval says so.
#include <gtest/gtest.h>

#include "running_daemon.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

class FolderLifecycle : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { ASSERT_TRUE(ns_.created()) << "tests/env has no cluster, or the namespace was refused"; }
  void TearDown() override { daemon_.reset(); }

  CommandResult kubectl(std::vector<std::string> args) { return ns_.kubectl(std::move(args)); }
  bool exists(const std::string& kind, const std::string& name) { return ns_.exists(kind, name); }
  static std::string config_map(const std::string& name) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {cluster: " + name + "}\n";
  }

  void start(const TestRepo& repo, bool prune) {
    write_file(work_ / "driftless.yaml", "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
                                         "sources:\n- {name: fleet, type: git, url: " + ns_.env("GIT_DAEMON_URL") + repo.url_path() +
                                         ", ref: {branch: main}, interval: 1s}\n"
                                         "pipelines:\n- name: \"{{folder}}\"\n  source: fleet\n  forEachFolder: clusters/*\n"
                                         "  pruneOnFolderRemoval: " + (prune ? "true" : "false") + "\n"
                                         "  sink: {type: kube, kubeconfig: " + ns_.env("KUBECONFIG") + ", namespace: " + ns_.name() + "}\n");
    daemon_ = std::make_unique<RunningDaemon>(work_ / "driftless.yaml", work_ / "state");
    ASSERT_TRUE(daemon_->started()) << daemon_->output();
  }

  Value pipeline(const std::string& name) { return daemon_->pipeline(name); }

  ClusterNamespace ns_{"folders"};
  TempDir work_;
  std::unique_ptr<RunningDaemon> daemon_;
};

}  // namespace

TEST_P(FolderLifecycle, AFolderAddedIsAppliedAndARemovedOneIsPrunedOnlyWhenConfigured) {
  const bool prune = GetParam();
  TestRepo repo("folders");
  repo.commit({{"clusters/east/settings.yaml", config_map("east")}}, "east");
  start(repo, prune);
  EXPECT_TRUE(eventually([&] { return exists("configmap", "east"); }, 60s)) << daemon_->output();

  repo.commit({{"clusters/west/settings.yaml", config_map("west")}}, "add west");
  EXPECT_TRUE(eventually([&] { return pipeline("west").string_or("state") == "ready"; }, 60s)) << daemon_->output();
  EXPECT_TRUE(exists("configmap", "west"));
  EXPECT_TRUE(exists("configmap", "driftless-inventory-west"));

  fs::remove_all(repo.work() / "clusters/west");
  const std::string removal = repo.commit({}, "remove west");
  EXPECT_TRUE(eventually([&] { return pipeline("west").string_or("state") == "removed"; }, 60s)) << daemon_->output();
  const Value west = pipeline("west");
  if (prune) {
    EXPECT_FALSE(exists("configmap", "west"));
    EXPECT_FALSE(exists("configmap", "driftless-inventory-west")) << "a retired pipeline leaves no inventory";
    EXPECT_NE(west.string_or("message").find("1 objects pruned"), std::string::npos) << west.string_or("message");
  } else {
    EXPECT_TRUE(exists("configmap", "west")) << "without pruneOnFolderRemoval the objects stay";
    EXPECT_NE(west.string_or("message").find("clusters/west is no longer in source 'fleet' at main@sha1:" + removal),
              std::string::npos) << west.string_or("message");
    EXPECT_NE(west.string_or("message").find("left in place"), std::string::npos);
    // No longer managed: deleted by hand, it is not healed back.
    ASSERT_EQ(kubectl({"delete", "configmap", "west", "-n", ns_.name()}).exit_code, 0);
    std::this_thread::sleep_for(2s);
    EXPECT_FALSE(exists("configmap", "west"));
  }
  EXPECT_TRUE(exists("configmap", "east")) << "the other folder is untouched";
  EXPECT_EQ(pipeline("east").string_or("state"), "ready");
}

INSTANTIATE_TEST_SUITE_P(PruneOnFolderRemoval, FolderLifecycle, ::testing::Bool(),
                         [](const auto& test) { return test.param ? std::string("On") : std::string("Off"); });
