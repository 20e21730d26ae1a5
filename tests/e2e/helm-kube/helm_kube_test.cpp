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
  write_file(work / "fleet/charts/facts/crds/widgets.yaml",
             "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets." + group + "}\n"
             "spec:\n  group: " + group + "\n  scope: Namespaced\n"
             "  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n"
             "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n");
  write_file(work / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: path, path: fleet}\n"
             "pipelines:\n- name: facts\n  source: fleet\n  path: charts/facts\n"
             "  renderers: [{type: helm, namespace: " + ns + ", helmPath: " + env["HELM"] + "}]\n"
             "  sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + "}\n");
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
