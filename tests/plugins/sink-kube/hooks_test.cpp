// Hooks and waves end to end: the real driftless binary (path source, yaml or
// helm renderer, kube sink) against the real kube-apiserver of tests/env,
// whose job controller and kwok nodes run Jobs to completion.
#include <gtest/gtest.h>

#include <sstream>

#include "kube_test_env.hpp"

namespace driftless {
namespace {

using test::env;
using test::kubectl;
using test::unique;

std::string jsonpath(const std::string& ns, const std::string& what, const std::string& path) {
  return kubectl({"get", what, "-n", ns, "-o", "jsonpath={" + path + "}"}).out;
}

// The names of the Jobs of `pipeline` in `ns` whose name starts with `prefix`.
std::vector<std::string> jobs(const std::string& ns, const std::string& pipeline, const std::string& prefix) {
  std::istringstream names(kubectl({"get", "jobs", "-n", ns, "-l", "driftless.dev/pipeline=" + pipeline, "-o",
                                    "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"})
                               .out);
  std::vector<std::string> found;
  for (std::string name; std::getline(names, name);)
    if (name.starts_with(prefix)) found.push_back(name);
  return found;
}

// Where the log line "<event> ... hook=<hook> ..." starts in `log`; npos when there is none.
std::size_t logged(const std::string& log, const std::string& event, const std::string& hook) {
  for (std::size_t at = log.find(" " + event + " "); at != std::string::npos; at = log.find(" " + event + " ", at + 1)) {
    const std::size_t end = log.find('\n', at);
    if (log.substr(at, end - at).find(" hook=" + hook + " ") != std::string::npos) return at;
  }
  return std::string::npos;
}

// A Job whose one Pod the kwok nodes run to success, or, with `fail`, one no
// node takes, which the job controller fails at its one-second deadline.
std::string job(const std::string& name_line, const std::string& annotations, bool fail = false) {
  return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  " + name_line + "\n  annotations: " + annotations +
         "\nspec:\n  backoffLimit: 0\n" + (fail ? "  activeDeadlineSeconds: 1\n" : "") +
         "  template:\n    spec:\n      restartPolicy: Never\n" +
         (fail ? "      nodeSelector: {driftless.test/no-such-node: \"true\"}\n" : "") +
         "      containers: [{name: run, image: registry.example/migrate:1}]\n";
}

// A Deployment; `pod_extra` lines go into its Pod spec.
std::string deployment(const std::string& name, const std::string& image, const std::string& pod_extra = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n" +
         "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: " + name +
         "}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n    spec:\n" + pod_extra +
         "      containers: [{name: app, image: " + image + "}]\n";
}

std::string config_map(const std::string& name, const std::string& annotations = "{}") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  annotations: " + annotations +
         "\ndata: {value: v}\n";
}

// One pipeline applying folder app/ of a path source into a fresh namespace.
// A hook Job runs in seconds; the wait is long because the job controller of a
// loaded machine (CI, two tests at once) has been seen to take a minute.
class HookFleet {
 public:
  /// `renderers` may name the namespace as NAMESPACE.
  explicit HookFleet(const std::string& name, std::string renderers = "[{type: yaml}]")
      : ns_(unique("hk-" + name)), pipeline_(unique(name)) {
    if (auto at = renderers.find("NAMESPACE"); at != std::string::npos) renderers.replace(at, 9, ns_);
    EXPECT_EQ(kubectl({"create", "namespace", ns_}).exit_code, 0);
    std::filesystem::create_directories(dir_ / "repo/app");
    test::write_file(dir_ / "driftless.yaml",
                     "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n  - name: repo\n    type: path\n"
                     "    path: repo\npipelines:\n  - name: " + pipeline_ + "\n    source: repo\n    path: app\n"
                     "    renderers: " + renderers + "\n    sink:\n      type: kube\n      kubeconfig: " +
                         env()["KUBECONFIG"] + "\n      namespace: " + ns_ + "\n      healthTimeout: 180s\n");
  }
  void write(const std::string& file, const std::string& content) { test::write_file(dir_ / "repo/app" / file, content); }
  void remove(const std::string& file) { std::filesystem::remove(dir_ / "repo/app" / file); }
  test::CommandResult apply() {
    return test::run_driftless({"--config", (dir_ / "driftless.yaml").string(), "--state-dir", (dir_ / "state").string(),
                                "apply", "--pipeline", pipeline_});
  }
  const std::string& ns() const { return ns_; }
  const std::string& pipeline() const { return pipeline_; }

 private:
  test::TempDir dir_;
  std::string ns_;
  std::string pipeline_;
};

class Hooks : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(env()["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)"; }
};

TEST_F(Hooks, PreSyncJobWithGenerateNameRunsBeforeTheObjectsOncePerNewDesiredSet) {
  HookFleet fleet("presync");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  fleet.write("migrate.yaml", job("generateName: migrate-", "{argocd.argoproj.io/hook: PreSync}"));
  fleet.write("notify.yaml",
              job("name: notify", "{argocd.argoproj.io/hook: PostSync, argocd.argoproj.io/hook-delete-policy: HookSucceeded}"));
  auto first = fleet.apply();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const auto migrations = jobs(fleet.ns(), fleet.pipeline(), "migrate-");
  ASSERT_EQ(migrations.size(), 1u) << first.err;
  const std::string& migration = migrations.front();
  EXPECT_EQ(jsonpath(fleet.ns(), "job/" + migration, ".status.succeeded"), "1");
  // The server named it; the Deployment was created only after it completed.
  const std::string completed = jsonpath(fleet.ns(), "job/" + migration, ".status.completionTime");
  const std::string created = jsonpath(fleet.ns(), "deployment/web", ".metadata.creationTimestamp");
  ASSERT_FALSE(completed.empty());
  EXPECT_LE(completed, created);  // RFC 3339 in UTC: text order is time order
  EXPECT_LT(logged(first.err, "hook succeeded", "Job/" + fleet.ns() + "/" + migration),
            logged(first.err, "hook created", "Job/" + fleet.ns() + "/notify"))
      << first.err;
  // The PostSync hook ran after the rollout and, HookSucceeded, is gone; hooks are not in the inventory.
  EXPECT_NE(logged(first.err, "hook succeeded", "Job/" + fleet.ns() + "/notify"), std::string::npos) << first.err;
  EXPECT_TRUE(jobs(fleet.ns(), fleet.pipeline(), "notify").empty());
  const std::string inventory = kubectl({"get", "configmap", "-n", fleet.ns(), "-o",
                                         "jsonpath={.items[*].data.objects}"}).out;
  EXPECT_NE(inventory.find("Deployment " + fleet.ns() + " web"), std::string::npos) << inventory;
  EXPECT_EQ(inventory.find("Job"), std::string::npos) << inventory;

  // The same desired set again (a no-op reconcile) runs no hook and is not drift.
  auto again = fleet.apply();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("hook created"), std::string::npos) << again.err;
  EXPECT_EQ(jobs(fleet.ns(), fleet.pipeline(), "migrate-").size(), 1u);
  EXPECT_NE(again.out.find("0 changed"), std::string::npos) << again.out;

  // A new desired set runs them again: a new Job, named by the server again.
  fleet.write("web.yaml", deployment("web", "registry.example/web:2"));
  auto changed = fleet.apply();
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(jobs(fleet.ns(), fleet.pipeline(), "migrate-").size(), 2u);
}

TEST_F(Hooks, AFailingPreSyncHookStopsTheSyncAppliesAndPrunesNothingAndRunsSyncFailHooks) {
  HookFleet fleet("failing");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  fleet.write("old.yaml", config_map("old"));
  auto first = fleet.apply();
  ASSERT_EQ(first.exit_code, 0) << first.err;

  fleet.write("web.yaml", deployment("web", "registry.example/web:2"));
  fleet.remove("old.yaml");
  fleet.write("migrate.yaml", job("generateName: migrate-", "{argocd.argoproj.io/hook: PreSync}", true));
  fleet.write("cleanup.yaml", config_map("sync-failed", "{argocd.argoproj.io/hook: SyncFail}"));
  auto failed = fleet.apply();
  EXPECT_NE(failed.exit_code, 0) << failed.out << failed.err;
  const std::string all = failed.out + failed.err;
  EXPECT_NE(all.find("the PreSync hook (argocd.argoproj.io/hook: PreSync, wave 0) did not succeed: Job/" + fleet.ns() +
                     "/migrate-"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("Job was active longer than specified deadline"), std::string::npos) << all;
  EXPECT_NE(all.find("a PreSync hook failed: nothing else of the sync was applied, nothing was pruned"), std::string::npos)
      << all;
  EXPECT_EQ(jsonpath(fleet.ns(), "deployment/web", ".spec.template.spec.containers[0].image"), "registry.example/web:1");
  EXPECT_EQ(jsonpath(fleet.ns(), "configmap/old", ".metadata.name"), "old");
  EXPECT_EQ(jsonpath(fleet.ns(), "configmap/sync-failed", ".metadata.name"), "sync-failed");  // the SyncFail hook ran
}

TEST_F(Hooks, WavesApplyInOrderEachHealthyBeforeTheNext) {
  HookFleet fleet("waves");
  const std::string unschedulable = "      nodeSelector: {driftless.test/no-such-node: \"true\"}\n";
  // Its Pod fits no node, and the rollout gives up after a second: wave 0 fails.
  std::string stuck_web = deployment("web", "registry.example/web:1", unschedulable);
  stuck_web.insert(stuck_web.find("  replicas:"), "  progressDeadlineSeconds: 1\n");
  fleet.write("first.yaml", config_map("first", "{argocd.argoproj.io/sync-wave: \"-1\"}"));
  fleet.write("web.yaml", stuck_web);
  fleet.write("last.yaml", config_map("last", "{argocd.argoproj.io/sync-wave: \"5\"}"));
  // Wave 0 does not get healthy: wave 5 is not applied.
  auto stuck = fleet.apply();
  EXPECT_NE(stuck.exit_code, 0) << stuck.err;
  EXPECT_NE((stuck.out + stuck.err).find("Deployment/" + fleet.ns() + "/web is not healthy"), std::string::npos)
      << stuck.out << stuck.err;
  EXPECT_EQ(jsonpath(fleet.ns(), "configmap/first", ".metadata.name"), "first");
  EXPECT_NE(kubectl({"get", "configmap", "last", "-n", fleet.ns()}).exit_code, 0);

  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  auto healthy = fleet.apply();
  ASSERT_EQ(healthy.exit_code, 0) << healthy.err;
  EXPECT_EQ(jsonpath(fleet.ns(), "configmap/last", ".metadata.name"), "last");
}

TEST_F(Hooks, HelmChartHooksRunAsArgoCdMapsThem) {
  HookFleet fleet("chart", "[{type: helm, namespace: NAMESPACE, helmPath: " + env()["HELM"] + "}]");
  fleet.write("Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n");
  fleet.write("templates/web.yaml", deployment("web", "registry.example/web:1"));
  fleet.write("templates/migrate.yaml",
              job("name: migrate", "{helm.sh/hook: 'pre-install,pre-upgrade', helm.sh/hook-weight: \"-1\", "
                                   "helm.sh/hook-delete-policy: hook-succeeded}"));
  fleet.write("templates/seed.yaml", job("name: seed", "{helm.sh/hook: post-install}"));
  fleet.write("templates/cleanup.yaml", job("name: cleanup", "{helm.sh/hook: post-delete}"));
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  const std::string all = applied.out + applied.err;
  // pre-install: PreSync, run and (hook-succeeded) deleted; post-install: PostSync, kept.
  EXPECT_NE(logged(all, "hook succeeded", "Job/" + fleet.ns() + "/migrate"), std::string::npos) << all;
  EXPECT_TRUE(jobs(fleet.ns(), fleet.pipeline(), "migrate").empty());
  EXPECT_EQ(jsonpath(fleet.ns(), "job/seed", ".status.succeeded"), "1");
  EXPECT_NE(logged(all, "hook succeeded", "Job/" + fleet.ns() + "/seed"), std::string::npos) << all;
  // post-delete has no sync to run in: named, not applied.
  EXPECT_NE(all.find("the object is a hook (helm.sh/hook: post-delete)"), std::string::npos) << all;
  EXPECT_TRUE(jobs(fleet.ns(), fleet.pipeline(), "cleanup").empty());
}

}  // namespace
}  // namespace driftless
