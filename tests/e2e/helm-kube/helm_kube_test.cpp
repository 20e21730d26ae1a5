// End to end: `driftless apply` of a pipeline whose helm renderer learns the
// cluster's version and APIs from the kube sink (--kube-version,
// --api-versions) and whose objects land in the real kube-apiserver.
#include <gtest/gtest.h>

#include <random>

#include "driftless/value.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

// A CRD for the namespaced kind Widget of `group`, as a chart's crds/ file.
std::string widget_crd(const std::string& group) {
  return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets." + group + "}\n"
         "spec:\n  group: " + group + "\n  scope: Namespaced\n"
         "  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n"
         "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, "
         "x-kubernetes-preserve-unknown-fields: true}}}]\n";
}

// work/driftless.yaml: pipeline `chart` renders fleet/charts/<chart> with helm
// into `ns` and applies it with the kube sink of tests/env.
void write_config(const fs::path& work, const std::string& chart, const std::string& ns) {
  auto env = test_env();
  write_file(work / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: path, path: fleet}\n"
             "pipelines:\n- name: " + chart + "\n  source: fleet\n  path: charts/" + chart + "\n"
             "  renderers: [{type: helm, namespace: " + ns + ", helmPath: " + env["HELM"] + "}]\n"
             "  sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + "}\n");
}

}  // namespace

TEST(HelmKube, TheChartSeesTheRealClusterAndIsApplied) {
  auto env = test_env();
  ASSERT_FALSE(env["KUBECONFIG"].empty()) << "no tests/env env file";
  TempDir work;
  const std::string id = "run" + std::to_string(std::random_device{}());  // lowercase DNS label
  const std::string ns = "helm-e2e-" + id;
  const std::string group = id + ".e2e.driftless.dev";  // an API only this run's CRD serves
  write_file(work / "fleet/charts/facts/Chart.yaml", "apiVersion: v2\nname: facts\nversion: 0.1.0\n");
  write_file(work / "fleet/charts/facts/templates/facts.yaml",
             "apiVersion: v1\nkind: Namespace\nmetadata: {name: {{ .Release.Namespace }}}\n---\n"
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: facts, namespace: {{ .Release.Namespace }}}\ndata:\n"
             "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
             "  widgets: {{ .Capabilities.APIVersions.Has \"" + group + "/v1\" | quote }}\n");
  write_file(work / "fleet/charts/facts/crds/widgets.yaml", widget_crd(group));
  write_config(work.path(), "facts", ns);
  auto apply = [&] {
    return run_driftless({"--config", (work / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string(),
                          "--state-dir", (work / "state").string(), "apply", "--pipeline", "facts"});
  };
  auto facts = [&] {
    auto got = run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "get", "configmap", "facts", "-n", ns, "-o", "json"});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    auto configmap = parse_json(got.out);
    return configmap.ok() && configmap->find("data") ? *configmap->find("data") : Value();
  };
  auto first = apply();
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  auto version = parse_json(run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "version", "-o", "json"}).out);
  ASSERT_TRUE(version.ok());
  Value data = facts();
  EXPECT_EQ(data.string_or("kube"), version->at_path({"serverVersion", "gitVersion"})->as_string());
  EXPECT_EQ(data.string_or("widgets"), "false");  // rendered before its CRD existed

  auto second = apply();  // now the cluster serves the CRD's API
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(facts().string_or("widgets"), "true");

  run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "delete", "namespace", ns, "--wait=false"});
  run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "delete", "crd", "widgets." + group, "--wait=false"});
}

// Differential against `helm install -n NS` on the same kube-apiserver: a
// chart in podinfo's shape whose templates set no namespace. Every object
// driftless applies lands where helm puts it: namespaced ones in the release
// namespace, cluster-scoped ones (a ClusterRole, the CRD) in none, and the
// custom resource as its CRD in the chart says.
TEST(HelmKube, ObjectsLandInTheNamespaceHelmInstallPutsThemIn) {
  auto env = test_env();
  ASSERT_FALSE(env["KUBECONFIG"].empty()) << "no tests/env env file";
  TempDir work;
  const std::string id = "ns" + std::to_string(std::random_device{}());
  const std::string ours = "demo-" + id;
  const std::string helms = "helm-" + id;
  const std::string group = id + ".e2e.driftless.dev";
  const fs::path chart = work / "fleet/charts/podinfo";
  write_file(chart / "Chart.yaml", "apiVersion: v2\nname: podinfo\nversion: 0.1.0\n");
  write_file(chart / "templates/serviceaccount.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: {{ .Release.Name }}}\n");
  write_file(chart / "templates/deployment.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}}\nspec:\n  replicas: 1\n"
             "  selector: {matchLabels: {app: podinfo}}\n  template:\n    metadata: {labels: {app: podinfo}}\n"
             "    spec:\n      serviceAccountName: {{ .Release.Name }}\n      containers: [{name: podinfo, image: podinfo:6}]\n");
  write_file(chart / "templates/service.yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: {{ .Release.Name }}}\nspec:\n  selector: {app: podinfo}\n"
             "  ports: [{port: 9898}]\n");
  write_file(chart / "templates/hpa.yaml",
             "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: {{ .Release.Name }}}\nspec:\n"
             "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {{ .Release.Name }}}\n  minReplicas: 1\n  maxReplicas: 2\n");
  write_file(chart / "templates/clusterrole.yaml",
             "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
             "metadata: {name: {{ .Release.Name }}-{{ .Release.Namespace }}}\nrules: []\n");
  write_file(chart / "templates/widget.yaml",
             "apiVersion: " + group + "/v1\nkind: Widget\nmetadata: {name: {{ .Release.Name }}}\nspec: {size: 1}\n");
  write_file(chart / "crds/widgets.yaml", widget_crd(group));
  write_config(work.path(), "podinfo", ours);
  const std::string kubeconfig = env["KUBECONFIG"];
  auto kubectl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {env["KUBECTL"], "--kubeconfig", kubeconfig});
    return run(args);
  };
  ASSERT_EQ(kubectl({"create", "namespace", ours}).exit_code, 0);
  auto applied = run_driftless({"--config", (work / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string(),
                                "--state-dir", (work / "state").string(), "apply", "--pipeline", "podinfo"});
  EXPECT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  auto installed = run({env["HELM"], "install", "podinfo", chart.string(), "--namespace", helms, "--create-namespace",
                        "--skip-crds", "--kubeconfig", kubeconfig},
                       {{"HOME", work.path().string()}});
  ASSERT_EQ(installed.exit_code, 0) << installed.out << installed.err;

  // Where an object of `resource` named `name` lives in the cluster; "-" when it is not there.
  auto namespace_of = [&](const std::string& resource, const std::string& name, const std::string& ns) {
    auto got = kubectl({"get", resource, name, "-n", ns, "-o", "json"});
    if (got.exit_code != 0) return std::string("-");
    auto object = parse_json(got.out);
    const Value* found = object.ok() ? object->at_path({"metadata", "namespace"}) : nullptr;
    return found ? found->as_string() : std::string();
  };
  int namespaced = 0, cluster_scoped = 0;
  const std::vector<std::string> resources{"serviceaccount", "deployment", "service", "horizontalpodautoscaler",
                                           "clusterrole", "widgets." + group};
  for (const auto& resource : resources) {
    const bool per_release = resource == "clusterrole";
    const std::string by_helm = namespace_of(resource, per_release ? "podinfo-" + helms : "podinfo", helms);
    const std::string by_us = namespace_of(resource, per_release ? "podinfo-" + ours : "podinfo", ours);
    ASSERT_NE(by_helm, "-") << resource;
    EXPECT_EQ(by_us, by_helm == helms ? ours : by_helm) << resource;
    ++(by_helm.empty() ? cluster_scoped : namespaced);
  }
  EXPECT_EQ(namespaced, 5);
  EXPECT_EQ(cluster_scoped, 1);
  EXPECT_EQ(namespace_of("customresourcedefinition", "widgets." + group, ours), "");

  run({env["HELM"], "uninstall", "podinfo", "--namespace", helms, "--kubeconfig", kubeconfig}, {{"HOME", work.path().string()}});
  for (const auto& ns : {ours, helms}) kubectl({"delete", "namespace", ns, "--wait=false"});
  kubectl({"delete", "clusterrole", "podinfo-" + ours, "--wait=false"});
  kubectl({"delete", "crd", "widgets." + group, "--wait=false"});
}
