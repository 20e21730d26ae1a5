// Charts and fleets from Git: a HelmRelease whose chart is a folder of a Git
// repository (GitRepository source, fetched through the git source plugin),
// and the use case driftless was born from, end to end: an ingress controller
// chart with custom values in a cluster folder, applied from Git.
#include <gtest/gtest.h>

#include "helmrelease_fixture.hpp"

using namespace driftless::test;

namespace {

// A chart that looks like an ingress controller: Deployment, Service, IngressClass, ConfigMap.
std::map<std::string, std::string> ingress_chart() {
  return {
      {"deployment.yaml",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-controller\nspec:\n"
       "  replicas: {{ .Values.controller.replicaCount }}\n  selector:\n    matchLabels: {app: {{ .Release.Name }}-controller}\n"
       "  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}-controller}\n      annotations:\n"
       "        checksum/config: {{ toJson .Values.controller.config | sha256sum }}\n    spec:\n      containers:\n"
       "        - name: controller\n          image: {{ .Values.controller.image }}\n"
       "          args: [\"--ingress-class={{ .Values.controller.ingressClass }}\", \"--configmap=$(POD_NAMESPACE)/{{ .Release.Name }}-config\"]\n"
       "          ports: [{name: http, containerPort: 80}, {name: https, containerPort: 443}]\n"},
      {"service.yaml",
       "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-controller\nspec:\n"
       "  type: {{ .Values.controller.service.type }}\n  selector: {app: {{ .Release.Name }}-controller}\n"
       "  ports:\n    - {name: http, port: 80, targetPort: http}\n    - {name: https, port: 443, targetPort: https}\n"},
      {"ingressclass.yaml",
       "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: {{ .Values.controller.ingressClass }}\n"
       "spec:\n  controller: driftless.dev/edge-ingress\n"},
      {"configmap.yaml",
       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n"
       "{{- toYaml .Values.controller.config | nindent 2 }}\n"},
  };
}

const char* kIngressValues =
    "controller:\n  replicaCount: 1\n  image: registry.example/edge-ingress:1.0\n  ingressClass: edge\n"
    "  service: {type: ClusterIP}\n  config:\n    use-forwarded-headers: \"false\"\n";

class GitApply {
 public:
  GitApply(const std::string& pipeline, const std::string& repo_url) {
    const std::string kubeconfig = helm_env()["KUBECONFIG"];
    write_file(dir_ / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n  - name: fleet\n    type: git\n    url: " + repo_url +
                   "\n    ref: {branch: main}\npipelines:\n  - name: " + pipeline +
                   "\n    source: fleet\n    path: clusters/prod\n    renderers:\n      - {type: yaml}\n"
                   "      - {type: helmrelease, helmPath: " + helm_env()["HELM"] + "}\n    sink: {type: kube, kubeconfig: " + kubeconfig + ", healthTimeout: 60s}\n");
  }
  CommandResult apply() {
    return run_driftless({"--config", (dir_ / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string(),
                          "--state-dir", (dir_ / "state").string(), "apply"});
  }

 private:
  TempDir dir_;
};

class Cleanup {
 public:
  Cleanup(std::string release, std::string ns) : release_(std::move(release)), ns_(std::move(ns)) {}
  ~Cleanup() {
    helm({"uninstall", release_, "-n", ns_});
    kubectl({"delete", "namespace", ns_, "--wait=false"});
  }

 private:
  std::string release_, ns_;
};

TEST(HelmReleaseGit, IngressControllerChartWithCustomValuesFromAClusterFolderInGit) {
  ASSERT_FALSE(helm_env()["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
  ChartRepository charts;
  charts.add("edge-ingress", "1.0.0", ingress_chart(), kIngressValues);
  const std::string ns = unique("edge");
  const std::string ingress_class = unique("edge-class");
  Cleanup cleanup("ingress", ns);
  TestRepo fleet("helmrelease-ingress");
  auto release = [&](const std::string& body_size) {
    return "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ingress\n  namespace: " + ns +
           "\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: edge-ingress\n      version: \">=1.0.0 <2.0.0\"\n"
           "      sourceRef: {kind: HelmRepository, name: ingress-charts, namespace: flux-system}\n"
           "  install: {createNamespace: true}\n  values:\n    controller:\n      replicaCount: 2\n"
           "      ingressClass: " + ingress_class + "\n      config:\n        use-forwarded-headers: \"true\"\n"
           "        proxy-body-size: " + body_size + "\n";
  };
  const std::string sources =
      "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: ingress-charts\n  namespace: flux-system\n"
      "spec:\n  interval: 1h\n  url: " + charts.url() + "\n";
  fleet.commit({{"clusters/prod/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n"},
                {"clusters/prod/sources.yaml", sources},
                {"clusters/prod/ingress.yaml", release("8m")}},
               "ingress controller");
  GitApply driftless(unique("prod-ingress"), helm_env()["GIT_DAEMON_URL"] + fleet.url_path());

  auto applied = driftless.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(revisions("ingress", ns), 1);
  // helm --wait returned, so the Deployment became Available on the simulated nodes.
  EXPECT_EQ(kubectl({"get", "deployment", "ingress-controller", "-n", ns, "-o",
                     "jsonpath={.status.conditions[?(@.type==\"Available\")].status}/{.spec.replicas}"}).out,
            "True/2");
  EXPECT_EQ(kubectl({"get", "ingressclass", ingress_class, "-o", "jsonpath={.spec.controller}"}).out, "driftless.dev/edge-ingress");
  EXPECT_EQ(kubectl({"get", "service", "ingress-controller", "-n", ns, "-o", "jsonpath={.spec.ports[1].port}"}).out, "443");
  EXPECT_EQ(config_map_value("ingress-config", ns, "proxy-body-size"), "8m");
  EXPECT_EQ(config_map_value("ingress-config", ns, "use-forwarded-headers"), "true");

  fleet.commit({{"clusters/prod/ingress.yaml", release("16m")}}, "bigger bodies");
  auto changed = driftless.apply();
  ASSERT_EQ(changed.exit_code, 0) << changed.out << changed.err;
  EXPECT_EQ(revisions("ingress", ns), 2);
  EXPECT_EQ(config_map_value("ingress-config", ns, "proxy-body-size"), "16m");
}

TEST(HelmReleaseGit, InstallsAChartFromAFolderOfAGitRepository) {
  ASSERT_FALSE(helm_env()["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
  TestRepo charts("helmrelease-charts");
  std::map<std::string, std::string> files{{"charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.5.0\n"},
                                           {"charts/web/values.yaml", "color: blue\n"}};
  for (const auto& [file, text] : web_chart_templates()) files["charts/web/templates/" + file] = text;
  charts.commit(files, "chart");
  HelmFleet fleet(unique("hr-git"));
  const std::string ns = fleet.ns();
  fleet.write("source.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: charts\n  namespace: " +
                                 ns + "\nspec:\n  interval: 1m\n  url: " + helm_env()["GIT_DAEMON_URL"] + charts.url_path() +
                                 "\n  ref: {branch: main}\n");
  fleet.write("web.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: " + ns +
                              "\nspec:\n  chart:\n    spec:\n      chart: ./charts/web\n"
                              "      sourceRef: {kind: GitRepository, name: charts}\n  values: {color: from-git}\n");
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(config_map_value("web-settings", ns, "color"), "from-git");
  EXPECT_EQ(config_map_value("web-settings", ns, "chartVersion"), "0.5.0");

  // A change of the chart's content in Git upgrades the release (the fleet folder is unchanged).
  charts.commit({{"charts/web/templates/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"}}, "more");
  auto changed = fleet.apply();
  ASSERT_EQ(changed.exit_code, 0) << changed.out << changed.err;
  EXPECT_EQ(revisions("web", ns), 2);
  EXPECT_EQ(kubectl({"get", "configmap", "extra", "-n", ns}).exit_code, 0);
}

}  // namespace
