// End to end: one daemon, one pipeline per cluster folder (forEachFolder:
// clusters/*, the kube sink's context "{{folder}}"), three real API servers of
// tests/env (up --clusters 3). One cluster's API server is killed: the other
// clusters still get a new commit and still have drift healed, only the
// pipeline of the dead cluster reports an error; once its API server is back,
// that pipeline catches up by itself. And a hub cluster's folder whose Flux
// Kustomization and Argo CD Application name other clusters: applied there
// only when the hub's sink offers those contexts (declaredContexts).
#include <gtest/gtest.h>

#include <random>

#include "running_daemon.hpp"

using namespace driftless;
using namespace driftless::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kClusters = {"cluster-1", "cluster-2", "cluster-3"};
const std::string kDown = "cluster-2";  // the cluster whose API server is killed

class ManyClusters : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = require_env();
    ASSERT_FALSE(env_["KUBECONFIG_CLUSTERS"].empty()) << "tests/env has no clusters";
    ASSERT_GE(std::stoi(env_["KUBE_CLUSTERS"]), 3) << "start tests/env with up --clusters 3";
    ns_ = "clusters-" + std::to_string(std::random_device{}() % 1000000);
  }
  void TearDown() override {
    daemon_.reset();
    if (killed_) apiserver("start");
    for (const auto& cluster : kClusters) kubectl(cluster, {"delete", "namespace", ns_, "--wait=false"});
  }

  CommandResult kubectl(const std::string& cluster, std::vector<std::string> args) {
    args.insert(args.begin(), {env_["KUBECTL"], "--kubeconfig", env_["KUBECONFIG_CLUSTERS"], "--context", cluster,
                               "--request-timeout", "10s"});
    return run(args);
  }
  // The release the cluster's ConfigMap says ("" when it cannot be read).
  std::string release(const std::string& cluster) {
    auto got = kubectl(cluster, {"get", "configmap", "settings", "-n", ns_, "-o", "jsonpath={.data.release}"});
    return got.exit_code == 0 ? got.out : "";
  }
  // tests/env/apiserver ACTION for the cluster that goes down.
  void apiserver(const std::string& action) {
    auto done = run({(source_dir() / "tests/env/apiserver").string(), "--state-dir", env_["DRIFTLESS_ENV_DIR"], action,
                     kDown.substr(kDown.find('-') + 1)});
    ASSERT_EQ(done.exit_code, 0) << done.err;
    killed_ = action == "kill";
  }

  // Every cluster folder holds the namespace and one ConfigMap saying `release`.
  std::string commit_release(TestRepo& repo, const std::string& release) {
    std::map<std::string, std::string> files;
    for (const auto& cluster : kClusters)
      files["clusters/" + cluster + "/settings.yaml"] =
          "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns_ + "}\n---\n"
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: " + ns_ + "}\n"
          "data: {cluster: " + cluster + ", release: " + release + "}\n";
    return repo.commit(files, release);
  }

  // One pipeline, the hub's folder, applied to cluster-1; `sink_extra` is laid into its kube sink block,
  // `renderers` (a YAML line) chooses its renderers.
  void start_hub(const TestRepo& repo, const std::string& sink_extra, const std::string& renderers = "") {
    write_file(work_ / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
               "sources:\n- {name: fleet, type: git, url: " + env_["GIT_DAEMON_URL"] + repo.url_path() +
               ", ref: {branch: main}, interval: 1s}\n"
               "pipelines:\n- name: hub\n  source: fleet\n  path: clusters/hub\n" + renderers +
               "  sink: {type: kube, kubeconfig: " + env_["KUBECONFIG_CLUSTERS"] + ", context: cluster-1" + sink_extra + "}\n");
    daemon_ = std::make_unique<RunningDaemon>(work_ / "driftless.yaml", work_ / "state");
    ASSERT_TRUE(daemon_->started()) << daemon_->output();
  }
  // The ConfigMap `name` of the test's namespace in `cluster` says `who` ("" when absent).
  std::string holder(const std::string& cluster, const std::string& name) {
    auto got = kubectl(cluster, {"get", "configmap", name, "-n", ns_, "-o", "jsonpath={.data.who}"});
    return got.exit_code == 0 ? got.out : "";
  }

  void start(const TestRepo& repo) {
    write_file(work_ / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
               "sources:\n- {name: fleet, type: git, url: " + env_["GIT_DAEMON_URL"] + repo.url_path() +
               ", ref: {branch: main}, interval: 1s}\n"
               "pipelines:\n- name: \"{{folder}}\"\n  source: fleet\n  forEachFolder: clusters/*\n  renderers: [{type: yaml}]\n"
               "  sink: {type: kube, kubeconfig: " + env_["KUBECONFIG_CLUSTERS"] + ", context: \"{{folder}}\"}\n");
    daemon_ = std::make_unique<RunningDaemon>(work_ / "driftless.yaml", work_ / "state");
    ASSERT_TRUE(daemon_->started()) << daemon_->output();
  }

  Value pipeline(const std::string& name) { return daemon_->pipeline(name); }
  static std::size_t error_count(const Value& p) {
    const Value* errors = p.find("errors");
    return errors && errors->is_array() ? errors->as_array().size() : 0;
  }
  static std::string errors(const Value& p) {
    std::string all;
    if (const Value* e = p.find("errors"); e && e->is_array())
      for (const auto& line : e->as_array())
        if (line.is_string()) all += line.as_string() + "\n";
    return all;
  }
  // The pipeline applied `commit` and its objects are healthy.
  bool ready_at(const std::string& cluster, const std::string& commit) {
    const Value p = pipeline(cluster);
    return p.string_or("state") == "ready" && p.string_or("revision").find(commit) != std::string::npos;
  }

  std::map<std::string, std::string> env_;
  std::string ns_;
  bool killed_ = false;
  TempDir work_;
  std::unique_ptr<RunningDaemon> daemon_;
};

}  // namespace

TEST_F(ManyClusters, ADeadClusterStopsOnlyItsOwnPipelineAndCatchesUpWhenItIsBack) {
  TestRepo repo("many-clusters");
  const std::string first = commit_release(repo, "v1");
  start(repo);
  for (const auto& cluster : kClusters) {
    EXPECT_TRUE(eventually([&] { return ready_at(cluster, first); }, 180s)) << cluster << "\n" << daemon_->output();
    EXPECT_EQ(release(cluster), "v1") << cluster;
  }

  apiserver("kill");
  const std::string second = commit_release(repo, "v2");
  for (const auto& cluster : kClusters) {
    if (cluster == kDown) continue;
    EXPECT_TRUE(eventually([&] { return ready_at(cluster, second) && release(cluster) == "v2"; }, 180s))
        << cluster << " did not get the new commit while " << kDown << " is down\n" << daemon_->output();
  }
  EXPECT_TRUE(eventually([&] {
    const Value p = pipeline(kDown);
    return p.string_or("state") == "failed" && p.string_or("attemptedRevision").find(second) != std::string::npos;
  }, 180s)) << daemon_->output();
  const Value down = pipeline(kDown);
  EXPECT_GT(error_count(down), 0u);
  const std::string url = env_["KUBE_CLUSTER_2_APISERVER_URL"];
  EXPECT_NE(errors(down).find(url.substr(url.find("//") + 2)), std::string::npos)
      << "the error names the server that does not answer:\n" << errors(down);
  EXPECT_NE(down.string_or("revision").find(first), std::string::npos) << "the last applied revision is still shown";
  for (const auto& cluster : kClusters) {
    if (cluster == kDown) continue;
    EXPECT_EQ(error_count(pipeline(cluster)), 0u) << cluster << ": " << errors(pipeline(cluster));
  }

  // Drift in a live cluster is still healed while another is down.
  ASSERT_EQ(kubectl("cluster-3", {"delete", "configmap", "settings", "-n", ns_}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return release("cluster-3") == "v2"; }, 120s)) << daemon_->output();

  apiserver("start");
  EXPECT_TRUE(eventually([&] { return ready_at(kDown, second) && release(kDown) == "v2"; }, 300s))
      << kDown << " did not catch up after its API server came back\n" << daemon_->output();
  EXPECT_EQ(error_count(pipeline(kDown)), 0u) << errors(pipeline(kDown));
  for (const auto& cluster : kClusters) EXPECT_EQ(release(cluster), "v2") << cluster;
}

// Flux's kubeConfig and Argo CD's destination.name pick a cluster by name;
// driftless reads no Secret for it: the name is a context of the hub sink's
// kubeconfig, and only the contexts the operator lists may be used.
TEST_F(ManyClusters, AHubFolderAppliesToTheClustersItsKustomizationsAndApplicationsNameOnlyWhereOffered) {
  TestRepo repo("hub-and-spokes");
  const std::string url = env_["GIT_DAEMON_URL"] + repo.url_path();
  auto config_map = [&](const std::string& name, const std::string& who) {
    return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns_ + "}\n---\n"
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns_ + "\n"
           "  annotations: {example.com/owner: \"platform-team\"}\ndata: {who: \"" + who + "\"}\n";
  };
  const std::string commit = repo.commit(
      {{"clusters/hub/edge.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: edge, namespace: flux-system}\n"
        "spec:\n  interval: 10m\n  path: ./apps/edge\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
        "  kubeConfig:\n    secretRef: {name: cluster-2, key: value}\n"},
       {"clusters/hub/web.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\nspec:\n"
        "  project: default\n  source: {repoURL: \"" + url + "\", path: apps/web, targetRevision: HEAD}\n"
        "  destination: {name: cluster-3, namespace: " + ns_ + "}\n"
        "  syncPolicy: {automated: {prune: true}}\n"},
       {"apps/edge/edge.yaml", config_map("edge", "flux kubeConfig")},
       {"apps/web/web.yaml", config_map("web", "argocd destination")}},
      "hub with two spokes");

  // Not offered: the hub's sink refuses both declarations, naming the context; nothing is applied anywhere.
  start_hub(repo, "");
  EXPECT_TRUE(eventually([&] {
    const std::string all = errors(pipeline("hub"));
    return all.find("context 'cluster-2', which its parent's sink does not offer") != std::string::npos &&
           all.find("context 'cluster-3', which its parent's sink does not offer") != std::string::npos;
  }, 120s)) << errors(pipeline("hub")) << daemon_->output();
  EXPECT_TRUE(pipeline("hub/edge").is_null() && pipeline("hub/web").is_null()) << "no pipeline runs what was refused";
  for (const auto& cluster : kClusters) {
    EXPECT_EQ(holder(cluster, "edge"), "") << cluster;
    EXPECT_EQ(holder(cluster, "web"), "") << cluster;
  }
  daemon_.reset();

  // Offered: each lands in the cluster it names, and only there.
  start_hub(repo, ", declaredContexts: [cluster-2, cluster-3]");
  EXPECT_TRUE(eventually([&] {
    return pipeline("hub/edge").string_or("state") == "ready" && pipeline("hub/web").string_or("state") == "ready";
  }, 180s)) << daemon_->output();
  EXPECT_NE(pipeline("hub/edge").string_or("revision").find(commit), std::string::npos);
  EXPECT_EQ(holder("cluster-2", "edge"), "flux kubeConfig");
  EXPECT_EQ(holder("cluster-3", "web"), "argocd destination");
  EXPECT_EQ(holder("cluster-1", "edge"), "");
  EXPECT_EQ(holder("cluster-1", "web"), "");
  EXPECT_EQ(holder("cluster-3", "edge"), "");
  EXPECT_EQ(holder("cluster-2", "web"), "");
}

// Argo CD's cluster-addons pattern over real API servers: an ApplicationSet's
// clusters generator lists the clusters the config describes (Argo CD's
// cluster Secrets are never read), picks those labelled for the addon, and
// each generated Application applies to its cluster by destination.server.
TEST_F(ManyClusters, AnApplicationSetsClustersGeneratorAppliesToTheLabelledClustersOfTheConfig) {
  TestRepo repo("cluster-addons");
  const std::string url = env_["GIT_DAEMON_URL"] + repo.url_path();
  const std::string commit = repo.commit(
      {{"clusters/hub/addons.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: monitoring, namespace: argocd}\nspec:\n"
        "  goTemplate: true\n  generators:\n  - clusters:\n      selector:\n        matchLabels: {monitoring: enabled}\n"
        "  template:\n    metadata: {name: 'monitoring-{{.name}}'}\n    spec:\n      project: default\n"
        "      source: {repoURL: \"" + url + "\", path: addons/monitoring, targetRevision: HEAD}\n"
        "      destination: {server: '{{.server}}', namespace: " + ns_ + "}\n"
        "      syncPolicy: {automated: {prune: true, selfHeal: true}, syncOptions: [CreateNamespace=true]}\n"},
       {"addons/monitoring/agent.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: agent\n  annotations: {example.com/scrape: \"true\"}\n"
        "data: {who: \"clusters generator\", endpoint: \"https://metrics.example.com/api/v1/write\"}\n"}},
      "monitoring addon for labelled clusters");
  start_hub(repo, ", declaredContexts: [cluster-2, cluster-3]",
            "  renderers:\n  - type: auto\n    clusters:\n"
            "    - {name: cluster-2, server: 'https://cluster-2.example.com:6443', labels: {monitoring: enabled}}\n"
            "    - {name: cluster-3, server: 'https://cluster-3.example.com:6443', labels: {monitoring: disabled}}\n");
  EXPECT_TRUE(eventually([&] { return pipeline("hub/monitoring-cluster-2").string_or("state") == "ready"; }, 180s))
      << errors(pipeline("hub")) << daemon_->output();
  EXPECT_NE(pipeline("hub/monitoring-cluster-2").string_or("revision").find(commit), std::string::npos);
  EXPECT_TRUE(pipeline("hub/monitoring-cluster-3").is_null()) << "its label does not match";
  EXPECT_TRUE(pipeline("hub/monitoring-in-cluster").is_null()) << "a selector leaves the local cluster out, as in Argo CD";
  auto agent = [&](const std::string& cluster) {
    auto got = kubectl(cluster, {"get", "configmap", "agent", "-n", ns_, "-o", "jsonpath={.data.who}"});
    return got.exit_code == 0 ? got.out : "";
  };
  EXPECT_EQ(agent("cluster-2"), "clusters generator");
  EXPECT_EQ(agent("cluster-3"), "");
  EXPECT_EQ(agent("cluster-1"), "");
}
