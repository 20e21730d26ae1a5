// The kube sink end to end: the real driftless binary (path source, yaml
// renderer, kube sink) against the real kube-apiserver of tests/env.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "api_server_proxy.hpp"
#include "kube_test_env.hpp"

namespace driftless {
namespace {

using namespace std::chrono_literals;
using test::CommandResult;

using test::env;
using test::kubectl;
using test::unique;

bool exists(const std::string& kind, const std::string& ns, const std::string& name) {
  return kubectl({"get", kind, name, "-n", ns, "-o", "name"}).exit_code == 0;
}

std::string field(const std::string& kind, const std::string& ns, const std::string& name, const std::string& path) {
  return kubectl({"get", kind, name, "-n", ns, "-o", "jsonpath={" + path + "}"}).out;
}

// The value of "<name>=N" on the last "apply finished"/"diff finished" log line; -1 when none.
long counter(const std::string& log, const std::string& name) {
  long value = -1;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" finished ") == std::string::npos) continue;
    if (auto at = line.find(" " + name + "="); at != std::string::npos)
      value = std::stol(line.substr(at + name.size() + 2));
  }
  return value;
}

std::string config_map(const std::string& name, const std::string& value, const std::string& ns = "") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + (ns.empty() ? "" : "\n  namespace: " + ns) +
         "\ndata:\n  value: \"" + value + "\"\n";
}

std::string deployment(const std::string& name, const std::string& image, const std::string& extra_pod_spec = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: " + name + "}\n  template:\n    metadata:\n"
         "      labels: {app: " + name + "}\n    spec:\n" + extra_pod_spec +
         "      containers:\n        - name: app\n          image: " + image + "\n";
}

// A fleet repository folder and a config with one pipeline into `ns`.
class Fleet {
 public:
  Fleet(const std::string& pipeline, const std::string& ns, const std::string& sink_extra = "",
        const std::string& kubeconfig = env()["KUBECONFIG"])
      : pipeline_(pipeline), ns_(ns) {
    std::filesystem::create_directories(dir_ / "repo/app");
    test::write_file(dir_ / "driftless.yaml",
                     "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\nsources:\n  - name: repo\n    type: path\n"
                     "    path: repo\n    interval: 1h\npipelines:\n  - name: " + pipeline +
                         "\n    source: repo\n    path: app\n    renderers: [{type: yaml}]\n    sink:\n      type: kube\n"
                         "      kubeconfig: " + kubeconfig + "\n      namespace: " + ns +
                         "\n      healthTimeout: 60s\n" + sink_extra);
  }
  void write(const std::string& file, const std::string& content) { test::write_file(dir_ / "repo/app" / file, content); }
  void remove(const std::string& file) { std::filesystem::remove(dir_ / "repo/app" / file); }
  /// The source polled every second instead of every hour (`run` tests that change the repository).
  void poll_every_second() {
    std::string config = test::read_file(dir_ / "driftless.yaml");
    test::write_file(dir_ / "driftless.yaml", config.replace(config.find("interval: 1h"), 12, "interval: 1s"));
  }
  CommandResult apply() { return driftless("apply"); }
  CommandResult diff() { return driftless("diff"); }
  /// Arguments of `driftless <command>` for all pipelines, to run in the background.
  std::vector<std::string> args(const std::string& command) const {
    return {"--config", (dir_ / "driftless.yaml").string(), "--state-dir", (dir_ / "state").string(), command};
  }
  std::filesystem::path path(const std::string& relative) const { return dir_ / relative; }
  const std::string& pipeline() const { return pipeline_; }

 private:
  CommandResult driftless(const std::string& command) {
    return test::run_driftless({"--config", (dir_ / "driftless.yaml").string(), "--state-dir", (dir_ / "state").string(),
                                command, "--pipeline", pipeline_});
  }

  test::TempDir dir_;
  std::string pipeline_;
  std::string ns_;
};

// The namespace `ns`, a CustomResourceDefinition of the kind Widget in
// `group`, and its first custom resource w1 (spec.size 3), in one commit.
void write_widgets(Fleet& fleet, const std::string& ns, const std::string& group) {
  fleet.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n");
  fleet.write("crd.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets." +
                              group + "\nspec:\n  group: " + group +
                              "\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget}\n"
                              "  versions:\n    - name: v1\n      served: true\n      storage: true\n"
                              "      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n"
                              "            spec: {type: object, properties: {size: {type: integer}}}\n");
  fleet.write("widget.yaml", "apiVersion: " + group + "/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n");
}

// Events in `ns` about object `name` with `reason`, one "Kind|count|message" line each.
std::vector<std::string> events(const std::string& ns, const std::string& name, const std::string& reason) {
  auto r = kubectl({"get", "events", "-n", ns, "--field-selector", "involvedObject.name=" + name + ",reason=" + reason, "-o",
                    "jsonpath={range .items[*]}{.involvedObject.kind}|{.count}|{.message}{\"\\n\"}{end}"});
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

void create_namespace(const std::string& ns) { ASSERT_EQ(kubectl({"create", "namespace", ns}).exit_code, 0); }

// A fresh namespace and the fleet of a pipeline applying into it.
struct Scenario {
  std::string ns;
  Fleet fleet;
};

Scenario scenario(const std::string& name, const std::string& sink_extra = "") {
  const std::string ns = unique("sk-" + name);
  create_namespace(ns);
  return Scenario{ns, Fleet(unique(name), ns, sink_extra)};
}

class KubeSink : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(env()["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)"; }
};

TEST_F(KubeSink, CreatesUpdatesAndPrunes) {
  const std::string ns = unique("sk-crud");
  Fleet fleet(unique("crud"), ns);
  fleet.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n");
  fleet.write("a.yaml", config_map("a", "one"));
  fleet.write("b.yaml", config_map("b", "one"));
  auto first = fleet.apply();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("created ConfigMap/" + ns + "/a"), std::string::npos) << first.out;
  EXPECT_EQ(field("configmap", ns, "a", ".data.value"), "one");
  // The sink labels what it applies: the renderers' objects carry no such labels.
  EXPECT_EQ(field("configmap", ns, "b", ".metadata.labels.driftless\\.dev/pipeline"), fleet.pipeline());
  EXPECT_EQ(field("configmap", ns, "b", ".metadata.labels.app\\.kubernetes\\.io/managed-by"), "driftless");

  fleet.write("a.yaml", config_map("a", "two"));
  fleet.remove("b.yaml");
  auto second = fleet.apply();
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("configured ConfigMap/" + ns + "/a"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("pruned ConfigMap/" + ns + "/b"), std::string::npos) << second.out;
  EXPECT_EQ(field("configmap", ns, "a", ".data.value"), "two");
  EXPECT_FALSE(exists("configmap", ns, "b"));
}

TEST_F(KubeSink, NoOpReconcileCostsNoWrite) {
  auto [ns, fleet] = scenario("noop");
  for (int i = 0; i < 20; ++i) fleet.write("cm" + std::to_string(i) + ".yaml", config_map("cm" + std::to_string(i), "v"));
  fleet.write("deploy.yaml", deployment("web", "registry.example/web:1"));
  auto first = fleet.apply();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(counter(first.err, "writes"), 22) << first.err;  // 21 objects + the inventory
  auto again = fleet.apply();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(counter(again.err, "writes"), 0) << again.err;
  EXPECT_EQ(counter(again.err, "dry_runs"), 0) << again.err;
  EXPECT_NE(again.out.find("0 changed, 21 unchanged"), std::string::npos) << again.out;

  // A field we own changed by someone else is drift: one write puts it back.
  ASSERT_EQ(kubectl({"-n", ns, "set", "image", "deployment/web", "app=evil"}).exit_code, 0);
  auto healed = fleet.apply();
  ASSERT_EQ(healed.exit_code, 0) << healed.err;
  EXPECT_EQ(counter(healed.err, "writes"), 1) << healed.err;
  EXPECT_EQ(field("deployment", ns, "web", ".spec.template.spec.containers[0].image"), "registry.example/web:1");

  // A field we do not set (an autoscaler's annotation) is left alone and costs nothing.
  ASSERT_EQ(kubectl({"-n", ns, "annotate", "configmap/cm1", "team=blue"}).exit_code, 0);
  auto left_alone = fleet.apply();
  EXPECT_EQ(counter(left_alone.err, "writes"), 0) << left_alone.err;
  EXPECT_EQ(field("configmap", ns, "cm1", ".metadata.annotations.team"), "blue");

  // The labels the sink adds are desired state too: one removed is put back.
  ASSERT_EQ(kubectl({"-n", ns, "label", "configmap/cm2", "driftless.dev/pipeline-"}).exit_code, 0);
  auto relabelled = fleet.apply();
  ASSERT_EQ(relabelled.exit_code, 0) << relabelled.err;
  EXPECT_EQ(counter(relabelled.err, "writes"), 1) << relabelled.err;
  EXPECT_EQ(field("configmap", ns, "cm2", ".metadata.labels.driftless\\.dev/pipeline"), fleet.pipeline());
}

TEST_F(KubeSink, CrdAndItsCustomResourceInOneCommit) {
  const std::string ns = unique("sk-crd");
  const std::string group = unique("g") + ".driftless.test";
  Fleet fleet(unique("crd"), ns);
  write_widgets(fleet, ns, group);
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(field("widgets." + group, ns, "w1", ".spec.size"), "3");

  // Removing both prunes the custom resource before its definition.
  fleet.remove("widget.yaml");
  fleet.remove("crd.yaml");
  auto pruned = fleet.apply();
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  const auto cr = pruned.out.find("pruned Widget/" + ns + "/w1");
  const auto crd = pruned.out.find("pruned CustomResourceDefinition/widgets." + group);
  ASSERT_NE(cr, std::string::npos) << pruned.out;
  ASSERT_NE(crd, std::string::npos) << pruned.out;
  EXPECT_LT(cr, crd);
}

// The first two requests of each method get the answers of a busy or still
// starting API server: 429 with Retry-After (API priority and fairness, or a
// watch cache that is still filling), then 503 without. kubectl waits and
// sends them again; so does the sink, within the same reconcile.
TEST_F(KubeSink, ThrottledAndNotReadyAnswersAreRetriedWithinOneReconcile) {
  const std::string ns = unique("sk-throttle");
  create_namespace(ns);
  using Reply = test::ApiServerProxy::Reply;
  std::mutex mutex;
  std::map<std::string, int> requests;
  test::ApiServerProxy proxy(env(), [&](const std::string& method, const std::string&) -> std::optional<Reply> {
    std::lock_guard lock(mutex);
    switch (requests[method]++) {
      case 0: return Reply{429, "application/json", test::status_body(429, "TooManyRequests", "storage is (re)initializing"),
                           {{"Retry-After", "1"}}};
      case 1: return Reply{503, "application/json", test::status_body(503, "ServiceUnavailable", "the server is busy"), {}};
      default: return std::nullopt;
    }
  });
  test::TempDir dir;
  Fleet fleet(unique("throttle"), ns, "", proxy.kubeconfig(dir.path()).string());
  fleet.write("cm.yaml", config_map("settings", "through-the-proxy"));
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(field("configmap", ns, "settings", ".data.value"), "through-the-proxy");
  EXPECT_EQ(counter(applied.err, "retries"), 2) << applied.err;  // the first PATCH (the inventory's write), twice
  std::lock_guard lock(mutex);
  EXPECT_GE(requests["GET"], 3);    // discovery's first read was refused twice, then sent a third time
  EXPECT_GE(requests["PATCH"], 4);  // the inventory three times, then the apply (written alone: no dry run)
}

// Behind several API servers (or while aggregated discovery is refreshed),
// discovery can leave out a CRD's kind for a moment after the CRD is
// Established. Here the first three discovery reads after the CRD was applied
// still miss its group; the custom resource is applied in the same reconcile.
TEST_F(KubeSink, ACrdWhoseKindDiscoveryServesLateGetsItsCustomResourceInOneReconcile) {
  const std::string ns = unique("sk-lag");
  const std::string group = unique("lag") + ".driftless.test";
  std::atomic<bool> crd_applied{false};
  std::atomic<int> hidden{0};
  test::ApiServerProxy proxy(env(), nullptr, [&](const std::string& method, const std::string& target, auto& reply) {
    if (method == "PATCH" && target.starts_with("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets." + group) &&
        target.find("dryRun") == std::string::npos && reply.status / 100 == 2)
      crd_applied = true;
    if (method != "GET" || target != "/apis" || !crd_applied || hidden >= 3) return;
    auto list = parse_json(reply.body);
    ASSERT_TRUE(list.ok());
    Array kept;
    for (const auto& item : list->find("items")->as_array())
      if (item.at_path({"metadata", "name"})->as_string() != group) kept.push_back(item);
    list->as_object().set("items", Value(std::move(kept)));
    reply.body = to_json(*list);
    ++hidden;
  });
  test::TempDir dir;
  Fleet fleet(unique("lag"), ns, "", proxy.kubeconfig(dir.path()).string());
  write_widgets(fleet, ns, group);
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(field("widgets." + group, ns, "w1", ".spec.size"), "3");
  EXPECT_EQ(hidden, 3);
}

TEST_F(KubeSink, UnknownKindNamesObjectAndFile) {
  const std::string ns = unique("sk-unknown");
  Fleet fleet(unique("unknown"), ns);
  fleet.write("gadget.yaml", "apiVersion: nothing.driftless.test/v1\nkind: Gadget\nmetadata:\n  name: g\n");
  auto result = fleet.apply();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("gadget.yaml:1"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("unknown kind Gadget"), std::string::npos) << result.err;
}

TEST_F(KubeSink, OneInvalidObjectBlocksTheWholeApply) {
  auto [ns, fleet] = scenario("invalid");
  for (int i = 0; i < 5; ++i) fleet.write("cm" + std::to_string(i) + ".yaml", config_map("cm" + std::to_string(i), "v"));
  fleet.write("bad.yaml", "# a bad one\n" + deployment("bad", "x").replace(deployment("bad", "x").find("replicas: 1"), 11,
                                                                         "replicas: -5"));
  auto result = fleet.apply();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("bad.yaml:2"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("Deployment/" + ns + "/bad"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("replicas"), std::string::npos) << result.err;
  EXPECT_EQ(counter(result.err, "writes"), 0) << result.err;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(exists("configmap", ns, "cm" + std::to_string(i)));
}

// A set is validated by server-side dry run before its first write; an
// object written alone is validated by its own apply, which answers the same:
// an invalid one is an error naming it and what is wrong, and nothing changes.
TEST_F(KubeSink, AnObjectWrittenAloneIsValidatedByItsOwnApply) {
  auto [ns, fleet] = scenario("lone");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  fleet.write("settings.yaml", config_map("settings", "v1"));
  auto first = fleet.apply();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(counter(first.err, "dry_runs"), 2) << first.err;

  fleet.write("settings.yaml", config_map("settings", "v2"));
  auto changed = fleet.apply();
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(counter(changed.err, "writes"), 1) << changed.err;
  EXPECT_EQ(counter(changed.err, "dry_runs"), 0) << changed.err;
  EXPECT_EQ(field("configmap", ns, "settings", ".data.value"), "v2");

  std::string invalid = deployment("web", "registry.example/web:2");
  fleet.write("web.yaml", invalid.replace(invalid.find("replicas: 1"), 11, "replicas: -5"));
  auto refused = fleet.apply();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("web.yaml:1: error: Deployment/" + ns + "/web is invalid: "), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("replicas"), std::string::npos) << refused.err;
  EXPECT_EQ(counter(refused.err, "dry_runs"), 0) << refused.err;
  EXPECT_EQ(field("deployment", ns, "web", ".spec.template.spec.containers[0].image"), "registry.example/web:1");
}

TEST_F(KubeSink, ImpersonatedTenantIsHeldToItsNamespace) {
  const std::string tenant_ns = env()["RESTRICTED_NAMESPACE"];
  const std::string user = env()["RESTRICTED_USER"];
  const std::string name = unique("tenant");
  Fleet fleet(name, tenant_ns, "      impersonate: {user: " + user + ", groups: [\"driftless:tenants\"]}\n");
  fleet.write("mine.yaml", config_map(name + "-mine", "v"));
  auto allowed = fleet.apply();
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_TRUE(exists("configmap", tenant_ns, name + "-mine"));

  fleet.write("elsewhere.yaml", config_map(name + "-elsewhere", "v", "default"));
  fleet.write("mine2.yaml", config_map(name + "-mine2", "v"));
  auto denied = fleet.apply();
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.err.find("forbidden"), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("elsewhere.yaml"), std::string::npos) << denied.err;
  EXPECT_FALSE(exists("configmap", "default", name + "-elsewhere"));
  EXPECT_FALSE(exists("configmap", tenant_ns, name + "-mine2"));  // nothing of the pipeline written
}

TEST_F(KubeSink, AMissingNamespaceIsAnErrorNamingItItsObjectsAndTheOption) {
  auto [ns, fleet] = scenario("nsmissing");
  const std::string missing = unique("sk-absent");
  fleet.write("a.yaml", config_map("a", "v", missing));
  fleet.write("b.yaml", config_map("b", "v", missing));
  fleet.write("c.yaml", config_map("c", "v"));
  const std::string message = "namespace '" + missing + "' does not exist and the render does not create it; needed by ConfigMap/" +
                              missing + "/a, ConfigMap/" + missing + "/b: add a Namespace object to the render or set "
                              "createNamespaces: true on the kube sink";
  auto diff = fleet.diff();
  EXPECT_EQ(diff.exit_code, 2);
  EXPECT_NE(diff.err.find(message), std::string::npos) << diff.err;
  auto apply = fleet.apply();
  EXPECT_EQ(apply.exit_code, 1);
  EXPECT_NE(apply.err.find("a.yaml:1: error: " + message), std::string::npos) << apply.err;
  EXPECT_EQ(counter(apply.err, "writes"), 0) << apply.err;
  // The inventory and a list of the ConfigMaps of each namespace: the dry run found the namespace missing, no GET did.
  EXPECT_EQ(counter(apply.err, "reads"), 3) << apply.err;
  EXPECT_FALSE(exists("configmap", ns, "c"));
}

TEST_F(KubeSink, CreateNamespacesMakesAMissingNamespaceItNeverPrunes) {
  auto [ns, fleet] = scenario("nscreate", "      createNamespaces: true\n");
  const std::string created = unique("sk-created");
  fleet.write("a.yaml", config_map("a", "v", created));
  fleet.write("c.yaml", config_map("c", "v"));
  auto diff = fleet.diff();
  EXPECT_EQ(diff.exit_code, 1) << diff.err;
  EXPECT_NE(diff.out.find("Namespace/" + created), std::string::npos) << diff.out;
  EXPECT_FALSE(exists("namespace", "", created));  // diff writes nothing

  auto apply = fleet.apply();
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("created Namespace/" + created), std::string::npos) << apply.out;
  EXPECT_EQ(field("configmap", created, "a", ".data.value"), "v");
  EXPECT_EQ(field("namespace", "", created, ".metadata.labels.app\\.kubernetes\\.io/managed-by"), "driftless");
  EXPECT_EQ(field("namespace", "", created, ".metadata.labels.driftless\\.dev/created-for"), fleet.pipeline());
  EXPECT_EQ(field("namespace", "", created, ".metadata.labels.driftless\\.dev/pipeline"), "");  // no pipeline owns it
  EXPECT_EQ(apply.out.find("Namespace/" + ns), std::string::npos) << apply.out;  // an existing one is left alone

  fleet.remove("a.yaml");
  auto pruned = fleet.apply();
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_FALSE(exists("configmap", created, "a"));
  EXPECT_EQ(field("namespace", "", created, ".status.phase"), "Active");  // not in the render: never pruned

  // Rendered later, the namespace becomes the pipeline's like any object, and leaves with it.
  fleet.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + created + "\n");
  ASSERT_EQ(fleet.apply().exit_code, 0);
  EXPECT_EQ(field("namespace", "", created, ".metadata.labels.driftless\\.dev/pipeline"), fleet.pipeline());
  fleet.remove("ns.yaml");
  auto taken = fleet.apply();
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  EXPECT_NE(taken.out.find("pruned Namespace/" + created), std::string::npos) << taken.out;
}

TEST_F(KubeSink, RestrictedKubeconfigWithTokenFromAnExecPlugin) {
  // A ServiceAccount of the tenant namespace; its token comes from an exec credential plugin.
  const std::string tenant_ns = env()["RESTRICTED_NAMESPACE"];
  const std::string sa = unique("deployer");
  ASSERT_EQ(kubectl({"-n", tenant_ns, "create", "serviceaccount", sa}).exit_code, 0);
  ASSERT_EQ(kubectl({"-n", tenant_ns, "create", "rolebinding", sa, "--clusterrole=admin",
                     "--serviceaccount=" + tenant_ns + ":" + sa})
                .exit_code,
            0);
  auto token = kubectl({"-n", tenant_ns, "create", "token", sa});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  test::TempDir dir;
  test::write_file(dir / "token", token.out);
  test::write_file(dir / "plugin.sh", "#!/bin/sh\necho run >> " + (dir / "calls").string() +
                                          "\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                                          "\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' \"$(cat " +
                                          (dir / "token").string() + ")\"\n");
  std::filesystem::permissions(dir / "plugin.sh", std::filesystem::perms::owner_all);
  test::write_file(dir / "kubeconfig",
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + env()["KUBE_APISERVER_URL"] +
                       "\n    certificate-authority: " + env()["KUBE_CA_FILE"] +
                       "\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                       "      command: ./plugin.sh\ncontexts:\n- name: ctx\n  context: {cluster: c, user: u, namespace: " +
                       tenant_ns + "}\ncurrent-context: ctx\n");
  const std::string name = unique("exec");
  Fleet fleet(name, tenant_ns);
  std::string config = test::read_file(fleet.path("driftless.yaml"));
  config.replace(config.find(env()["KUBECONFIG"]), env()["KUBECONFIG"].size(), (dir / "kubeconfig").string());
  test::write_file(fleet.path("driftless.yaml"), config);
  for (int i = 0; i < 10; ++i) fleet.write("cm" + std::to_string(i) + ".yaml", config_map(name + std::to_string(i), "v"));
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_TRUE(exists("configmap", tenant_ns, name + "9"));
  EXPECT_EQ(test::read_file(dir / "calls"), "run\n");  // cached for the whole run
  EXPECT_EQ(applied.err.find(token.out.substr(0, 40)), std::string::npos);  // never logged

  // The same ServiceAccount through a tokenFile may not touch another namespace.
  std::string kubeconfig = test::read_file(dir / "kubeconfig");
  kubeconfig.replace(kubeconfig.find("exec:"), kubeconfig.find("contexts:") - kubeconfig.find("exec:"),
                     "tokenFile: " + (dir / "token").string() + "\n");
  test::write_file(dir / "kubeconfig", kubeconfig);
  fleet.write("other.yaml", config_map(name + "-other", "v", "default"));
  auto denied = fleet.apply();
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.err.find("forbidden"), std::string::npos) << denied.err;
}

// Inside a pod driftless finds the API server through KUBERNETES_SERVICE_HOST
// and the mounted service account. The mount is made real in a private mount
// namespace (a tmpfs over /run, so /var/run/secrets/... exists only there),
// with a token of a ServiceAccount that may only edit its own namespace.
TEST_F(KubeSink, InClusterServiceAccount) {
  const std::string ns = unique("sk-incluster");
  create_namespace(ns);
  ASSERT_EQ(kubectl({"-n", ns, "create", "serviceaccount", "deployer"}).exit_code, 0);
  ASSERT_EQ(kubectl({"-n", ns, "create", "rolebinding", "deployer", "--clusterrole=edit", "--serviceaccount=" + ns + ":deployer"})
                .exit_code,
            0);
  auto token = kubectl({"-n", ns, "create", "token", "deployer"});
  ASSERT_EQ(token.exit_code, 0) << token.err;

  test::TempDir dir;
  test::write_file(dir.path() / "sa/token", token.out);
  test::write_file(dir.path() / "sa/namespace", ns);
  std::filesystem::copy_file(env()["KUBE_CA_FILE"], dir.path() / "sa/ca.crt");
  test::write_file(dir.path() / "repo/app/settings.yaml", config_map("settings", "from-the-pod"));
  test::write_file(dir.path() / "driftless.yaml",
                   "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n  - name: repo\n    type: path\n    path: repo\n"
                   "pipelines:\n  - name: in-cluster\n    source: repo\n    path: app\n    renderers: [{type: yaml}]\n"
                   "    sink: {type: kube}\n");
  const std::string url = env()["KUBE_APISERVER_URL"];  // https://127.0.0.1:PORT
  const std::string port = url.substr(url.rfind(':') + 1);
  const std::string sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  const std::string script = "mount -t tmpfs tmpfs /run && mkdir -p " + sa_dir + " && cp \"$1\"/* " + sa_dir +
                             " && shift && exec \"$@\"";
  auto argv = test::BackgroundProcess::driftless_argv(
      {"--config", (dir.path() / "driftless.yaml").string(), "--state-dir", (dir.path() / "state").string(), "apply"});
  argv.insert(argv.begin(), {"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                             (dir.path() / "sa").string()});
  auto applied = test::run(argv, {{"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                                  {"KUBERNETES_SERVICE_PORT", port},
                                  {"KUBECONFIG", ""},
                                  {"HOME", (dir.path() / "home").string()}});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  // The ConfigMap named no namespace: the service account's namespace file decided.
  EXPECT_EQ(field("configmap", ns, "settings", ".data.value"), "from-the-pod");
  EXPECT_EQ(field("configmap", ns, "settings", ".metadata.managedFields[0].manager"), "driftless");
}

TEST_F(KubeSink, EmptyRenderPrunesNothing) {
  auto [ns, fleet] = scenario("empty");
  fleet.write("a.yaml", config_map("a", "v"));
  fleet.write("b.yaml", config_map("b", "v"));
  ASSERT_EQ(fleet.apply().exit_code, 0);
  fleet.remove("a.yaml");
  fleet.remove("b.yaml");
  auto result = fleet.apply();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("allowEmpty"), std::string::npos) << result.err;
  EXPECT_TRUE(exists("configmap", ns, "a"));
  EXPECT_TRUE(exists("configmap", ns, "b"));
}

TEST_F(KubeSink, NeverPrunesWhatIsMarkedOrBelongsToAnotherPipeline) {
  const std::string ns = unique("sk-keep");
  create_namespace(ns);
  Fleet first(unique("first"), ns);
  first.write("kept.yaml", config_map("kept", "v"));
  first.write("shared.yaml", config_map("shared", "v"));
  first.write("anchor.yaml", config_map("anchor", "v"));
  ASSERT_EQ(first.apply().exit_code, 0);

  // Another pipeline claiming the same object is an error, not a takeover.
  Fleet second(unique("second"), ns);
  second.write("shared.yaml", config_map("shared", "other"));
  auto clash = second.apply();
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_NE(clash.err.find("belongs to pipeline"), std::string::npos) << clash.err;
  EXPECT_EQ(field("configmap", ns, "shared", ".data.value"), "v");

  ASSERT_EQ(kubectl({"-n", ns, "annotate", "configmap/kept", "driftless.dev/prune=disabled"}).exit_code, 0);
  first.remove("kept.yaml");
  first.remove("shared.yaml");
  auto result = first.apply();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("skipped ConfigMap/" + ns + "/kept"), std::string::npos) << result.out;
  EXPECT_TRUE(exists("configmap", ns, "kept"));
  EXPECT_FALSE(exists("configmap", ns, "shared"));
}

TEST_F(KubeSink, DiffShowsWhatApplyWouldDoWithExitCodes) {
  auto [ns, fleet] = scenario("diff");
  fleet.write("a.yaml", config_map("a", "one"));
  fleet.write("gone.yaml", config_map("gone", "one"));
  fleet.write("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n");
  auto fresh = fleet.diff();
  EXPECT_EQ(fresh.exit_code, 1) << fresh.err;
  EXPECT_NE(fresh.out.find("created ConfigMap/" + ns + "/a"), std::string::npos) << fresh.out;
  EXPECT_EQ(fresh.out.find("hunter2"), std::string::npos) << fresh.out;
  EXPECT_FALSE(exists("configmap", ns, "a"));
  ASSERT_EQ(fleet.apply().exit_code, 0);

  auto same = fleet.diff();
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;

  fleet.write("a.yaml", config_map("a", "two"));
  fleet.remove("gone.yaml");
  fleet.write("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: swordfish\n");
  auto changed = fleet.diff();
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.out.find("configured ConfigMap/" + ns + "/a"), std::string::npos) << changed.out;
  EXPECT_NE(changed.out.find("+  value: two"), std::string::npos) << changed.out;
  EXPECT_NE(changed.out.find("-  value: one"), std::string::npos) << changed.out;
  EXPECT_NE(changed.out.find("pruned ConfigMap/" + ns + "/gone"), std::string::npos) << changed.out;
  EXPECT_NE(changed.out.find("configured Secret/" + ns + "/s"), std::string::npos) << changed.out;
  EXPECT_EQ(changed.out.find("swordfish"), std::string::npos) << changed.out;
  EXPECT_EQ(changed.out.find("aHVudGVyMg"), std::string::npos) << changed.out;  // base64 of the old value
  EXPECT_EQ(field("configmap", ns, "a", ".data.value"), "one");  // diff writes nothing
  EXPECT_TRUE(exists("configmap", ns, "gone"));

  std::string broken = test::read_file(fleet.path("driftless.yaml"));
  broken.replace(broken.find(env()["KUBECONFIG"]), env()["KUBECONFIG"].size(), "/nonexistent/kubeconfig");
  test::write_file(fleet.path("driftless.yaml"), broken);
  EXPECT_EQ(fleet.diff().exit_code, 2);
}

TEST_F(KubeSink, WaitsForHealthAndNamesTheUnhealthyObject) {
  auto [ns, fleet] = scenario("health");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  auto healthy = fleet.apply();
  ASSERT_EQ(healthy.exit_code, 0) << healthy.err;
  EXPECT_EQ(field("deployment", ns, "web", ".status.availableReplicas"), "1");

  Fleet stuck(unique("stuck"), ns, "      healthTimeout: 3s\n");
  stuck.write("stuck.yaml", deployment("stuck", "registry.example/web:1", "      nodeSelector: {nowhere: \"true\"}\n"));
  auto result = stuck.apply();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("not healthy after 3 s: Deployment/" + ns + "/stuck"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("available"), std::string::npos) << result.err;
  const auto recorded = events(ns, "stuck", "HealthCheckFailed");
  ASSERT_EQ(recorded.size(), 1u) << result.err;
  EXPECT_EQ(recorded[0].rfind("Deployment|1|", 0), 0u) << recorded[0];
}

TEST_F(KubeSink, FailuresAreEventsOnTheirObjectsOrTheInventoryAndRepeatsAreFolded) {
  auto [ns, fleet] = scenario("events");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  ASSERT_EQ(fleet.apply().exit_code, 0);
  const std::string invalid = "replicas: -5";
  auto broken = [&](const std::string& name) {
    std::string d = deployment(name, "registry.example/web:2");
    return d.replace(d.find("replicas: 1"), 11, invalid);
  };
  fleet.write("web.yaml", broken("web"));      // exists: the event goes on it
  fleet.write("fresh.yaml", broken("fresh"));  // never created: the event goes on the inventory
  for (int attempt = 0; attempt < 2; ++attempt) EXPECT_EQ(fleet.apply().exit_code, 1);

  const auto on_web = events(ns, "web", "ApplyFailed");
  ASSERT_EQ(on_web.size(), 1u);
  EXPECT_EQ(on_web[0].rfind("Deployment|1|Deployment/" + ns + "/web is invalid", 0), 0u) << on_web[0];
  EXPECT_NE(on_web[0].find("replicas"), std::string::npos) << on_web[0];

  const std::string inventory = "driftless-inventory-" + fleet.pipeline();
  const auto on_inventory = events(ns, inventory, "ApplyFailed");
  ASSERT_EQ(on_inventory.size(), 1u) << "a repeat within minutes is folded into the first event";
  EXPECT_EQ(on_inventory[0].rfind("ConfigMap|1|Deployment/" + ns + "/fresh is invalid", 0), 0u) << on_inventory[0];

  // A failure before the sink (a render error) has no object: the inventory carries it.
  fleet.remove("fresh.yaml");
  fleet.write("broken.yaml", "kind: [oops\n");
  EXPECT_EQ(fleet.apply().exit_code, 1);
  const auto render = events(ns, inventory, "ReconcileFailed");
  ASSERT_EQ(render.size(), 1u);
  EXPECT_NE(render[0].find("broken.yaml"), std::string::npos) << render[0];
}

// A cluster that cannot answer is not invalid input: the objects are not
// called invalid, the failure is one line, and no Event blames them.
TEST_F(KubeSink, AnUnavailableClusterIsNotReportedAsInvalidObjects) {
  auto [ns, fleet] = scenario("outage");
  fleet.write("a.yaml", config_map("a", "v1"));
  fleet.write("b.yaml", config_map("b", "v1"));
  ASSERT_EQ(fleet.apply().exit_code, 0);

  using Reply = test::ApiServerProxy::Reply;
  test::ApiServerProxy proxy(env(), [&](const std::string& method, const std::string& target) -> std::optional<Reply> {
    if (method != "PATCH" || target.find("dryRun=All") == std::string::npos) return std::nullopt;
    return Reply{500, "application/json", test::status_body(500, "InternalError", "etcdserver: request timed out"), {}};
  });
  test::TempDir dir;
  std::string config = test::read_file(fleet.path("driftless.yaml"));
  const std::string kubeconfig = proxy.kubeconfig(dir.path()).string();
  config.replace(config.find(env()["KUBECONFIG"]), env()["KUBECONFIG"].size(), kubeconfig);
  test::write_file(fleet.path("driftless.yaml"), config);
  fleet.write("a.yaml", config_map("a", "v2"));
  fleet.write("b.yaml", config_map("b", "v2"));
  auto failed = fleet.apply();
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_NE(failed.err.find("the cluster is unavailable (etcdserver: request timed out): ConfigMap/" + ns +
                            "/a and 1 more could not be validated"),
            std::string::npos)
      << failed.err;
  EXPECT_EQ(failed.err.find("invalid"), std::string::npos) << failed.err;
  EXPECT_TRUE(events(ns, "a", "ApplyFailed").empty());
  EXPECT_TRUE(events(ns, "driftless-inventory-" + fleet.pipeline(), "ApplyFailed").empty());
  EXPECT_EQ(field("configmap", ns, "a", ".data.value"), "v1");
}

TEST_F(KubeSink, DaemonRecordsAFailedFetchOnTheInventoryAndKeepsTheObjects) {
  auto [ns, fleet] = scenario("fetch");
  fleet.write("settings.yaml", config_map("settings", "v1"));
  fleet.poll_every_second();
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find("reconciled") != std::string::npos; }, 60s)) << daemon.output();

  std::filesystem::rename(fleet.path("repo"), fleet.path("repo-gone"));
  const std::string inventory = "driftless-inventory-" + fleet.pipeline();
  ASSERT_TRUE(test::eventually([&] { return !events(ns, inventory, "ReconcileFailed").empty(); }, 30s)) << daemon.output();
  const auto recorded = events(ns, inventory, "ReconcileFailed");
  EXPECT_EQ(recorded.size(), 1u) << "a fetch failing every second is one event";
  EXPECT_NE(recorded[0].find("source 'repo' could not be fetched"), std::string::npos) << recorded[0];
  EXPECT_EQ(field("configmap", ns, "settings", ".data.value"), "v1");
}

TEST_F(KubeSink, DaemonHealsDeletedAndEditedObjectsWithinSeconds) {
  auto [ns, fleet] = scenario("heal");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  fleet.write("settings.yaml", config_map("settings", "v1"));
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return field("deployment", ns, "web", ".status.availableReplicas") == "1"; }, 60s))
      << daemon.output();
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find("reconciled") != std::string::npos; }, 60s)) << daemon.output();

  const std::string uid = field("deployment", ns, "web", ".metadata.uid");
  ASSERT_EQ(kubectl({"-n", ns, "delete", "deployment", "web", "--wait=false"}).exit_code, 0);
  const auto deleted = std::chrono::steady_clock::now();
  EXPECT_TRUE(test::eventually(
      [&] {
        return field("deployment", ns, "web", ".metadata.uid") != uid &&
               field("deployment", ns, "web", ".status.availableReplicas") == "1";
      },
      30s))
      << daemon.output();
  const auto healed_in = std::chrono::steady_clock::now() - deleted;
  EXPECT_LT(healed_in, 30s);  // the interval is 1h: only the watch can have done it
  EXPECT_NE(daemon.output().find("drift healed"), std::string::npos) << daemon.output();

  ASSERT_EQ(kubectl({"-n", ns, "patch", "configmap", "settings", "-p", R"({"data":{"value":"hacked"}})"}).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return field("configmap", ns, "settings", ".data.value") == "v1"; }, 30s)) << daemon.output();
  EXPECT_TRUE(test::eventually(
      [&] { return daemon.output().find("reason=\"ConfigMap/" + ns + "/settings was changed") != std::string::npos; }, 10s))
      << daemon.output();
  // Healed by the sink: counted and logged, but no reconcile of the whole pipeline asked for.
  EXPECT_NE(daemon.output().find("drift healed by the sink"), std::string::npos) << daemon.output();
  EXPECT_EQ(daemon.output().find("reason=\"drift: "), std::string::npos) << daemon.output();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// driftless_drift_events_total of `pipeline` on the /metrics of a daemon; 0 when not counted yet, -1 when unreachable.
double drift_events(const test::BackgroundProcess& daemon, const std::string& pipeline) {
  std::smatch m;
  const std::string log = daemon.output();
  if (!std::regex_search(log, m, std::regex("listen=127\\.0\\.0\\.1:(\\d+)"))) return -1;
  httplib::Client client("127.0.0.1", std::stoi(m[1]));
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) return -1;
  const std::string series = "driftless_drift_events_total{pipeline=\"" + pipeline + "\"} ";
  const auto at = res->body.find(series);
  return at == std::string::npos ? 0 : std::stod(res->body.substr(at + series.size()));
}

// The sink's own updates and prunes are not drift: across a commit that
// changes half of 400 ConfigMaps and removes the other half, no "drift
// detected", no drift event counted, no reconcile requested for drift; an
// edit made with kubectl afterwards still is.
TEST_F(KubeSink, DaemonDoesNotTakeItsOwnWritesForDrift) {
  auto [ns, fleet] = scenario("ownwrites");
  constexpr int kObjects = 400;
  for (int i = 0; i < kObjects; ++i) fleet.write("cm" + std::to_string(i) + ".yaml", config_map("cm" + std::to_string(i), "v1"));
  fleet.poll_every_second();
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return occurrences(daemon.output(), " reconciled ") >= 1; }, 120s)) << daemon.output();
  std::this_thread::sleep_for(1s);  // the watch is open

  for (int i = 0; i < kObjects; ++i) {
    const std::string name = "cm" + std::to_string(i);
    if (i % 2 == 0) fleet.write(name + ".yaml", config_map(name, "v2"));
    else fleet.remove(name + ".yaml");
  }
  ASSERT_TRUE(test::eventually([&] { return !exists("configmap", ns, "cm1") && !exists("configmap", ns, "cm399"); }, 120s))
      << daemon.output();
  EXPECT_EQ(field("configmap", ns, "cm0", ".data.value"), "v2");
  // The reconcile that made the change is over once the next one is.
  const std::size_t reconciled = occurrences(daemon.output(), " reconciled ");
  ASSERT_TRUE(test::eventually([&] { return occurrences(daemon.output(), " reconciled ") > reconciled; }, 120s))
      << daemon.output();
  std::this_thread::sleep_for(2s);  // late watch events of the writes arrive
  EXPECT_EQ(daemon.output().find("drift detected"), std::string::npos) << daemon.output();
  EXPECT_EQ(daemon.output().find("reason=\"drift: "), std::string::npos) << daemon.output();
  EXPECT_EQ(drift_events(daemon, fleet.pipeline()), 0);

  ASSERT_EQ(kubectl({"-n", ns, "patch", "configmap", "cm0", "-p", R"({"data":{"value":"hacked"}})"}).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return drift_events(daemon, fleet.pipeline()) == 1; }, 30s)) << daemon.output();
  EXPECT_TRUE(test::eventually([&] { return field("configmap", ns, "cm0", ".data.value") == "v2"; }, 30s)) << daemon.output();
}

// The value of "<name>=N" on the first "healthy" line of `log` (a health wait that ended well); -1 when none.
long health_wait(const std::string& log, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(" info healthy (?:[^\n]* )?" + name + "=(\\d+)"))) return -1;
  return std::stol(m[1]);
}

// In `driftless run` the drift watch reads Deployments whole, and the health
// wait takes their states from it: the first apply of a Deployment reads it
// not once while waiting for it (a poll would, at once and every 0.5 s). The
// CLI's apply, which holds no watch, polls.
TEST_F(KubeSink, DaemonWaitsForHealthOnTheWatchWithoutPolling) {
  auto [ns, fleet] = scenario("watchhealth");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  fleet.write("settings.yaml", config_map("settings", "v1"));
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find(" reconciled ") != std::string::npos; }, 60s))
      << daemon.output();
  EXPECT_EQ(field("deployment", ns, "web", ".status.availableReplicas"), "1");
  EXPECT_EQ(health_wait(daemon.output(), "objects"), 1) << daemon.output();
  EXPECT_EQ(health_wait(daemon.output(), "watched"), 1) << daemon.output();
  EXPECT_EQ(health_wait(daemon.output(), "reads"), 0) << daemon.output();

  // A rollout that never ends is still waited for, and named, from the watch's states.
  Fleet stuck(unique("stuckwatch"), ns, "      healthTimeout: 5s\n");
  stuck.write("stuck.yaml", deployment("stuck", "registry.example/web:1", "      nodeSelector: {nowhere: \"true\"}\n"));
  test::BackgroundProcess waiting(test::BackgroundProcess::driftless_argv(stuck.args("run")));
  EXPECT_TRUE(test::eventually(
      [&] { return waiting.output().find("not healthy after 5 s: Deployment/" + ns + "/stuck") != std::string::npos; }, 60s))
      << waiting.output();
  EXPECT_NE(waiting.output().find("available"), std::string::npos) << waiting.output();
  EXPECT_EQ(health_wait(waiting.output(), "objects"), -1) << waiting.output();

  Fleet polled(unique("polled"), ns);
  polled.write("other.yaml", deployment("other", "registry.example/web:1"));
  auto applied = polled.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(health_wait(applied.err, "watched"), 0) << applied.err;
  EXPECT_GE(health_wait(applied.err, "reads"), 1) << applied.err;
}

// The daemon's objects answer (the dashboard's object tree) says how healthy
// each object is, from what the sink's diff reads anyway; the pipeline's
// cluster is the kubeconfig context the sink uses.
TEST_F(KubeSink, DaemonReportsEachObjectsHealthInItsObjectsAnswer) {
  auto [ns, fleet] = scenario("objhealth", "      wait: false\n      drift: off\n");
  fleet.write("web.yaml", deployment("web", "registry.example/web:1"));
  fleet.write("pending.yaml", deployment("pending", "registry.example/web:1", "      nodeSelector: {nowhere: \"true\"}\n"));
  std::string failing = deployment("failing", "registry.example/web:1", "      nodeSelector: {nowhere: \"true\"}\n");
  failing.replace(failing.find("  replicas: 1\n"), 14, "  replicas: 1\n  progressDeadlineSeconds: 1\n");
  fleet.write("failing.yaml", failing);
  fleet.write("settings.yaml", config_map("settings", "v1"));
  fleet.write("gone.yaml", config_map("gone", "v1"));
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find(" reconciled ") != std::string::npos; }, 60s))
      << daemon.output();
  std::smatch m;
  const std::string log = daemon.output();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("listen=127\\.0\\.0\\.1:(\\d+)"))) << log;
  httplib::Client client("127.0.0.1", std::stoi(m[1]));
  ASSERT_EQ(kubectl({"-n", ns, "delete", "configmap", "gone"}).exit_code, 0);  // drift: off, so it stays gone

  auto pipelines = client.Get("/api/v1/pipelines");
  ASSERT_TRUE(pipelines && pipelines->status == 200);
  std::string context = kubectl({"config", "current-context"}).out;
  while (!context.empty() && std::isspace(static_cast<unsigned char>(context.back()))) context.pop_back();
  ASSERT_FALSE(context.empty());
  auto fleet_status = parse_json(pipelines->body);
  ASSERT_TRUE(fleet_status.ok()) << pipelines->body;
  EXPECT_EQ(fleet_status->find("pipelines")->as_array().at(0).string_or("cluster"), context) << pipelines->body;

  std::map<std::string, std::string> health;  // by id
  std::string answer;
  const std::string id = "/" + ns + "/";
  EXPECT_TRUE(test::eventually(
      [&] {
        auto res = client.Get("/api/v1/pipelines/" + fleet.pipeline() + "/objects");
        if (!res || res->status != 200) return false;
        answer = res->body;
        auto parsed = parse_json(answer);
        if (!parsed.ok()) return false;
        for (const auto& o : parsed->find("objects")->as_array()) health[o.string_or("id")] = o.string_or("health");
        return health["Deployment" + id + "web"] == "ready" && health["Deployment" + id + "failing"] == "degraded";
      },
      60s))
      << answer;
  EXPECT_EQ(health["Deployment" + id + "pending"], "progressing") << answer;
  EXPECT_EQ(health["ConfigMap" + id + "settings"], "ready") << answer;
  EXPECT_EQ(health["ConfigMap" + id + "gone"], "missing") << answer;
}

// `driftless run` on a ConfigMap and a Deployment that never becomes available,
// once its first reconcile waits for health; nullptr when it never got there.
std::unique_ptr<test::BackgroundProcess> daemon_waiting_for_health(Fleet& fleet) {
  fleet.write("settings.yaml", config_map("settings", "v1"));
  fleet.write("stuck.yaml", deployment("stuck", "registry.example/web:1", "      nodeSelector: {nowhere: \"true\"}\n"));
  auto daemon = std::make_unique<test::BackgroundProcess>(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  if (test::eventually([&] { return daemon->output().find("waiting for health") != std::string::npos; }, 60s)) return daemon;
  ADD_FAILURE() << "the daemon never waited for health:\n" << daemon->output();
  return nullptr;
}

// A reconcile waiting for a Deployment that never becomes healthy must not
// hold back healing: what it applied is watched and healed during the wait.
TEST_F(KubeSink, DaemonHealsWhileAReconcileWaitsForHealth) {
  auto [ns, fleet] = scenario("healwait", "      healthTimeout: 300s\n");
  auto running = daemon_waiting_for_health(fleet);
  ASSERT_TRUE(running);
  test::BackgroundProcess& daemon = *running;
  std::this_thread::sleep_for(1s);  // the watch is open
  ASSERT_EQ(kubectl({"-n", ns, "delete", "configmap", "settings"}).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return exists("configmap", ns, "settings"); }, 30s)) << daemon.output();
  EXPECT_NE(daemon.output().find("drift healed"), std::string::npos) << daemon.output();
  EXPECT_EQ(daemon.output().find("not healthy after"), std::string::npos) << "the health wait ended first:\n"
                                                                          << daemon.output();
}

// SIGTERM while a reconcile waits for health: the daemon stops at once (not
// after the health timeout), exits 0, and deletes nothing it applied.
TEST_F(KubeSink, SigtermMidApplyStopsSafely) {
  auto [ns, fleet] = scenario("sigterm", "      healthTimeout: 300s\n");
  auto running = daemon_waiting_for_health(fleet);
  ASSERT_TRUE(running);
  test::BackgroundProcess& daemon = *running;
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(30s), 0) << daemon.output();
  EXPECT_NE(daemon.output().find("stopped while waiting for health"), std::string::npos) << daemon.output();
  EXPECT_TRUE(exists("configmap", ns, "settings"));
  EXPECT_TRUE(exists("deployment", ns, "stuck"));
}

TEST_F(KubeSink, DaemonWatchSurvivesAnApiServerRestart) {
  auto [ns, fleet] = scenario("rewatch");
  fleet.write("settings.yaml", config_map("settings", "v1"));
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find("reconciled") != std::string::npos; }, 60s)) << daemon.output();
  std::this_thread::sleep_for(1s);  // the watch is open
  // etcd forgets its history while the API server is down: the watch cannot
  // resume from its resourceVersion (410 Gone) and must list again.
  auto restart =
      test::run({(test::source_dir() / "tests/plugins/sink-kube/restart-apiserver").string(), "--compact-etcd", "1"});
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  ASSERT_EQ(kubectl({"-n", ns, "delete", "configmap", "settings"}).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return exists("configmap", ns, "settings"); }, 30s)) << daemon.output();
  EXPECT_NE(daemon.output().find("drift watch expired (410 Gone)"), std::string::npos) << daemon.output();
}

// After an outage the pipeline does not sit out its backoff: the drift watch
// notices the API server answering again and the failed pipeline is retried
// at once. Down 20 s, the reconciles (every second) fail at about 0, 5 and
// 15 s, so the backoff alone would retry at about 35 s.
TEST_F(KubeSink, DaemonRetriesAtOnceWhenTheClusterAnswersAgain) {
  auto [ns, fleet] = scenario("recover");
  fleet.write("settings.yaml", config_map("settings", "v1"));
  fleet.poll_every_second();
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find(" reconciled ") != std::string::npos; }, 60s)) << daemon.output();
  std::this_thread::sleep_for(1s);  // the watch is open

  test::BackgroundProcess restart({(test::source_dir() / "tests/plugins/sink-kube/restart-apiserver").string(), "20"});
  const auto failed = [&] {
    const std::string log = daemon.output();
    return log.find("cannot reach the cluster") != std::string::npos || log.find("the cluster is unavailable") != std::string::npos;
  };
  ASSERT_TRUE(test::eventually(failed, 60s)) << daemon.output();
  fleet.write("settings.yaml", config_map("settings", "v2"));
  ASSERT_EQ(restart.wait(120s), 0) << restart.output();
  EXPECT_TRUE(test::eventually(
      [&] { return daemon.output().find("reason=\"its target answers again\"") != std::string::npos; }, 30s))
      << daemon.output();
  EXPECT_TRUE(test::eventually([&] { return field("configmap", ns, "settings", ".data.value") == "v2"; }, 60s))
      << daemon.output();
  EXPECT_EQ(daemon.output().find("drift detected"), std::string::npos) << daemon.output();
  EXPECT_EQ(daemon.output().find(" is invalid"), std::string::npos) << daemon.output();
}

// A list the drift watch sent before a sync wrote can be answered after that
// sync published its state (a slow API server, just restarted): it shows the
// object as it was before the sync. That is not drift; the watch reads the
// object again rather than healing (and logging) a change nobody made. Here
// the proxy ends every ConfigMap watch at once (so the watch lists again and
// again) and holds one list, answered before the sync's write, until a second
// after that write.
TEST_F(KubeSink, DaemonTakesNoListAnsweredBeforeItsOwnWriteForDrift) {
  const std::string ns = unique("sk-stale");
  create_namespace(ns);
  using Reply = test::ApiServerProxy::Reply;
  const std::string object_path = "/api/v1/namespaces/" + ns + "/configmaps/settings";
  std::atomic<bool> armed{false}, written{false};
  std::atomic<int> held{0}, read_again{0};
  // The drift watch's list (the sync lists the pipeline's namespace only).
  const auto is_watch_list = [](const std::string& target) {
    return target.starts_with("/api/v1/configmaps?") && target.find("watch=") == std::string::npos;
  };
  test::ApiServerProxy proxy(
      env(),
      [&](const std::string& method, const std::string& target) -> std::optional<Reply> {
        if (method == "GET" && target.starts_with(object_path) && target.find('?') == std::string::npos) ++read_again;
        if (method != "GET" || target.find("/configmaps?") == std::string::npos || target.find("watch=1") == std::string::npos)
          return std::nullopt;
        std::this_thread::sleep_for(200ms);
        return Reply{410, "application/json", test::status_body(410, "Expired", "too old resource version"), {}};
      },
      [&](const std::string& method, const std::string& target, Reply& reply) {
        if (armed && method == "PATCH" && target.starts_with(object_path + "?") && target.find("dryRun") == std::string::npos &&
            reply.status / 100 == 2)
          written = true;
        if (method != "GET" || !is_watch_list(target) || !armed || written || held > 0) return;
        ++held;  // answered before the write: hold it until the sync has published
        ASSERT_TRUE(test::eventually([&] { return written.load(); }, 30s));
        std::this_thread::sleep_for(1s);
      });
  test::TempDir dir;
  Fleet fleet(unique("stale"), ns, "", proxy.kubeconfig(dir.path()).string());
  fleet.write("settings.yaml", config_map("settings", "v1"));
  fleet.poll_every_second();
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find(" reconciled ") != std::string::npos; }, 60s)) << daemon.output();
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find("drift watch expired (410 Gone)") != std::string::npos; }, 30s))
      << daemon.output();

  armed = true;
  fleet.write("settings.yaml", config_map("settings", "v2"));
  EXPECT_TRUE(test::eventually([&] { return field("configmap", ns, "settings", ".data.value") == "v2"; }, 60s))
      << daemon.output();
  ASSERT_EQ(held, 1);
  EXPECT_TRUE(test::eventually([&] { return read_again.load() > 0; }, 30s)) << "the object was not read again";
  EXPECT_EQ(daemon.output().find("drift detected"), std::string::npos) << daemon.output();
  EXPECT_EQ(daemon.output().find("drift healed"), std::string::npos) << daemon.output();
}

TEST_F(KubeSink, DriftReportOnlyLogs) {
  auto [ns, fleet] = scenario("report", "      drift: report\n");
  fleet.write("settings.yaml", config_map("settings", "v1"));
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find("reconciled") != std::string::npos; }, 60s)) << daemon.output();
  std::this_thread::sleep_for(500ms);  // the watch is open
  ASSERT_EQ(kubectl({"-n", ns, "delete", "configmap", "settings"}).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return daemon.output().find("drift: report, not healed") != std::string::npos; }, 30s))
      << daemon.output();
  std::this_thread::sleep_for(2s);
  EXPECT_FALSE(exists("configmap", ns, "settings"));
}

// Pipelines of one cluster share one watch per kind: three pipelines of
// ConfigMaps open one ConfigMap watch, and each still heals its own objects.
TEST_F(KubeSink, PipelinesOfOneClusterShareOneWatchPerKind) {
  const std::string prefix = unique("sk-share");
  test::TempDir dir;
  for (const std::string folder : {"a", "b", "c"}) {
    create_namespace(prefix + "-" + folder);
    test::write_file(dir.path() / "repo/apps" / folder / "cm.yaml", config_map("settings", folder));
  }
  test::write_file(dir.path() / "driftless.yaml",
                   "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\nsources:\n"
                   "  - {name: repo, type: path, path: repo, interval: 1h}\npipelines:\n"
                   "  - name: \"" + prefix + "-{{folder}}\"\n    source: repo\n    forEachFolder: apps/*\n"
                   "    renderers: [{type: yaml}]\n    sink:\n      type: kube\n      kubeconfig: " + env()["KUBECONFIG"] +
                   "\n      namespace: \"" + prefix + "-{{folder}}\"\n");
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(
      {"--config", (dir.path() / "driftless.yaml").string(), "--state-dir", (dir.path() / "state").string(), "run"}));
  auto count = [&](const std::string& text) {
    std::size_t n = 0;
    const std::string log = daemon.output();
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  };
  for (const std::string folder : {"a", "b", "c"})
    ASSERT_TRUE(test::eventually([&] { return exists("configmap", prefix + "-" + folder, "settings"); }, 60s))
        << daemon.output();
  ASSERT_TRUE(test::eventually([&] { return count("drift watch started") >= 1; }, 30s)) << daemon.output();
  std::this_thread::sleep_for(1s);  // every pipeline has followed its objects
  EXPECT_EQ(count("drift watch started"), 1u) << daemon.output();
  EXPECT_NE(daemon.output().find("collection=/api/v1/configmaps"), std::string::npos) << daemon.output();

  const std::string ns = prefix + "-b";
  const std::string uid = field("configmap", ns, "settings", ".metadata.uid");
  ASSERT_EQ(kubectl({"-n", ns, "delete", "configmap", "settings"}).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return exists("configmap", ns, "settings") &&
                                            field("configmap", ns, "settings", ".metadata.uid") != uid; }, 30s))
      << daemon.output();
  EXPECT_EQ(field("configmap", ns, "settings", ".data.value"), "b");
}

// A tenant may not watch across namespaces: its watches fall back to its own
// namespace, and its drift is still healed within seconds.
TEST_F(KubeSink, TenantDriftIsWatchedInItsNamespace) {
  const std::string tenant_ns = env()["RESTRICTED_NAMESPACE"];
  const std::string name = unique("tenantheal");
  Fleet fleet(name, tenant_ns, "      impersonate: {user: " + env()["RESTRICTED_USER"] + "}\n");
  fleet.write("mine.yaml", config_map(name, "v1"));
  test::BackgroundProcess daemon(test::BackgroundProcess::driftless_argv(fleet.args("run")));
  ASSERT_TRUE(test::eventually([&] { return daemon.output().find("watching each namespace") != std::string::npos; }, 60s))
      << daemon.output();
  ASSERT_TRUE(test::eventually([&] {
    return daemon.output().find("collection=/api/v1/namespaces/" + tenant_ns + "/configmaps") != std::string::npos;
  }, 30s)) << daemon.output();
  std::this_thread::sleep_for(1s);  // the namespace's watch has listed
  ASSERT_EQ(kubectl({"-n", tenant_ns, "delete", "configmap", name}).exit_code, 0);
  EXPECT_TRUE(test::eventually([&] { return exists("configmap", tenant_ns, name); }, 30s)) << daemon.output();
  EXPECT_NE(daemon.output().find("drift healed"), std::string::npos) << daemon.output();
}

TEST_F(KubeSink, ConflictsAreErrorsWithoutForce) {
  const std::string ns = unique("sk-force");
  create_namespace(ns);
  test::TempDir other;
  test::write_file(other / "cm.yaml", config_map("shared", "theirs", ns));
  ASSERT_EQ(kubectl({"apply", "--server-side", "--field-manager=someone", "-f", (other / "cm.yaml").string()}).exit_code, 0);
  Fleet gentle(unique("gentle"), ns, "      force: false\n");
  gentle.write("cm.yaml", config_map("shared", "ours"));
  auto refused = gentle.apply();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("conflict"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("someone"), std::string::npos) << refused.err;
  EXPECT_EQ(field("configmap", ns, "shared", ".data.value"), "theirs");

  Fleet forceful(unique("forceful"), ns);
  forceful.write("cm.yaml", config_map("shared", "ours"));
  ASSERT_EQ(forceful.apply().exit_code, 0);
  EXPECT_EQ(field("configmap", ns, "shared", ".data.value"), "ours");
}

TEST_F(KubeSink, ConvergesAfterTheApiServerRestartsMidApply) {
  auto [ns, fleet] = scenario("restart");
  for (int i = 0; i < 400; ++i) fleet.write("cm" + std::to_string(i) + ".yaml", config_map("cm" + std::to_string(i), "v"));
  test::BackgroundProcess apply(test::BackgroundProcess::driftless_argv(fleet.args("apply")));
  ASSERT_TRUE(test::eventually([&] { return exists("configmap", ns, "cm0") || exists("configmap", ns, "cm399"); }, 20s));
  auto restart = test::run({(test::source_dir() / "tests/plugins/sink-kube/restart-apiserver").string(), "1"});
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  apply.wait(120s);  // succeeded or failed, whichever the timing gave: the next run must converge
  auto converged = fleet.apply();
  ASSERT_EQ(converged.exit_code, 0) << converged.err;
  auto listed = kubectl({"-n", ns, "get", "configmap", "-l", "app.kubernetes.io/managed-by=driftless", "-o", "name"});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 400);
}

TEST_F(KubeSink, ConvergesAfterTheProcessIsKilledMidApplyAndPrunesNothingWrongly) {
  auto [ns, fleet] = scenario("killed");
  for (int i = 0; i < 20; ++i) fleet.write("old" + std::to_string(i) + ".yaml", config_map("old" + std::to_string(i), "v"));
  ASSERT_EQ(fleet.apply().exit_code, 0);
  for (int i = 0; i < 400; ++i) fleet.write("new" + std::to_string(i) + ".yaml", config_map("new" + std::to_string(i), "v"));
  test::BackgroundProcess apply(test::BackgroundProcess::driftless_argv(fleet.args("apply")));
  ASSERT_TRUE(test::eventually([&] { return exists("configmap", ns, "new0") || exists("configmap", ns, "new399"); }, 20s));
  apply.signal(SIGKILL);
  apply.wait(10s);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(exists("configmap", ns, "old" + std::to_string(i)));

  auto converged = fleet.apply();
  ASSERT_EQ(converged.exit_code, 0) << converged.err;
  auto listed = kubectl({"-n", ns, "get", "configmap", "-l", "app.kubernetes.io/managed-by=driftless", "-o", "name"});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 420);

  // The inventory knew every object written before the kill: dropping them from Git prunes them all.
  for (int i = 0; i < 400; ++i) fleet.remove("new" + std::to_string(i) + ".yaml");
  ASSERT_EQ(fleet.apply().exit_code, 0);
  listed = kubectl({"-n", ns, "get", "configmap", "-l", "app.kubernetes.io/managed-by=driftless", "-o", "name"});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 20);
}

}  // namespace
}  // namespace driftless
