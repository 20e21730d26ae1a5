// End to end: a repository in the shape of Flux's flux2-kustomize-helm-example
// (clusters/staging and clusters/production with flux-system bootstrap files,
// infrastructure and apps Kustomizations with dependsOn, kustomize overlays
// per environment), pushed to the tests/env Git HTTP server. One pipeline,
// clusters/staging with renderers [auto], is applied to the real
// kube-apiserver: every level is applied in dependency order on the first
// apply, staging's overlay wins over production's, and no Flux object or
// Flux install reaches the cluster. Without the flux stage the kube sink
// refuses the Flux objects.
#include <gtest/gtest.h>

#include <random>

#include "driftless/value.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string kustomization(const std::string& name, const std::string& path, const std::string& more = "") {
  return "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: flux-system\nspec:\n  interval: 1h\n  retryInterval: 2m\n  timeout: 2m\n  sourceRef:\n"
         "    kind: GitRepository\n    name: flux-system\n  path: " + path + "\n  prune: true\n" + more;
}

std::string deployment(const std::string& name, const std::string& ns, int replicas, const std::string& labels = "{}") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n  labels: " + labels +
         "\nspec:\n  replicas: " + std::to_string(replicas) + "\n  selector:\n    matchLabels: {app: " + name +
         "}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n    spec:\n      containers:\n"
         "        - {name: main, image: registry.example/" + name + ":1.0}\n";
}

std::string config_map(const std::string& name, const std::string& ns, const std::string& data) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\ndata:\n  " + data + "\n";
}

// The repository; `infra` and `apps` are namespaces unique to this run.
std::map<std::string, std::string> flux_repository(const std::string& infra, const std::string& apps) {
  std::map<std::string, std::string> files;
  for (const std::string env : {"staging", "production"}) {
    const std::string cluster = "clusters/" + env + "/";
    files[cluster + "flux-system/kustomization.yaml"] =
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        "  - gotk-components.yaml\n  - gotk-sync.yaml\n";
    // Flux's install, trimmed: its namespace, one CRD, one controller.
    files[cluster + "flux-system/gotk-components.yaml"] =
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n  labels:\n"
        "    app.kubernetes.io/instance: flux-system\n    app.kubernetes.io/part-of: flux\n"
        "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
        "  name: kustomizations.kustomize.toolkit.fluxcd.io\n  labels: {app.kubernetes.io/part-of: flux}\n"
        "spec:\n  group: kustomize.toolkit.fluxcd.io\n  names: {kind: Kustomization, plural: kustomizations}\n"
        "  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n"
        "      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n"
        "---\n" + deployment("kustomize-controller", "flux-system", 1, "{app.kubernetes.io/part-of: flux}");
    files[cluster + "flux-system/gotk-sync.yaml"] =
        "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
        "  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  secretRef:\n    name: flux-system\n"
        "  url: ssh://git@github.com/acme/fleet\n" +
        kustomization("flux-system", "./clusters/" + env);
    files[cluster + "infrastructure.yaml"] =
        kustomization("infra-controllers", "./infrastructure/controllers", "  wait: true\n") +
        kustomization("infra-configs", "./infrastructure/configs", "  dependsOn:\n    - name: infra-controllers\n");
    files[cluster + "apps.yaml"] =
        kustomization("apps", "./apps/" + env, "  wait: true\n  dependsOn:\n    - name: infra-configs\n");
    files["apps/" + env + "/kustomization.yaml"] =
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/podinfo\n"
        "patches:\n  - path: podinfo-values.yaml\n    target:\n      kind: ConfigMap\n";
    files["apps/" + env + "/podinfo-values.yaml"] = config_map("podinfo-values", apps, "environment: " + env);
  }
  files["infrastructure/controllers/kustomization.yaml"] =
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n  - controller.yaml\n";
  files["infrastructure/controllers/namespace.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + infra + "\n";
  files["infrastructure/controllers/controller.yaml"] = deployment("ingress-controller", infra, 1);
  // No kustomization.yaml: Flux's generator (auto) reads every manifest below.
  files["infrastructure/configs/issuers/issuer.yaml"] = config_map("cluster-issuer", infra, "server: https://acme.example/directory");
  files["apps/base/podinfo/kustomization.yaml"] =
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n"
      "  - deployment.yaml\n  - values.yaml\n";
  files["apps/base/podinfo/namespace.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + apps + "\n";
  files["apps/base/podinfo/deployment.yaml"] = deployment("podinfo", apps, 2);
  files["apps/base/podinfo/values.yaml"] = config_map("podinfo-values", apps, "environment: base");
  return files;
}

}  // namespace

TEST(FluxKube, AFluxRepositoryRunsUnchangedLevelByLevelAndNoFluxObjectReachesTheCluster) {
  auto env = require_env();
  ASSERT_FALSE(env["KUBECONFIG"].empty() || env["KUBECTL"].empty()) << "tests/env env file";
  TempDir work;
  const std::string run_id = std::to_string(std::random_device{}() % 1000000);
  const std::string infra = "flux-infra-" + run_id;
  const std::string apps = "flux-apps-" + run_id;
  TestRepo repo("flux-e2e");
  repo.commit(flux_repository(infra, apps), "a Flux repository");

  write_file(work / "password", env["GIT_HTTP_PASSWORD"]);
  // One pipeline per config: staging and production would apply the same objects to the one test cluster.
  auto config = [&](const std::string& cluster, const std::string& renderers) {
    write_file(work / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " +
                   env["GIT_HTTP_URL"] + repo.url_path() + ", ref: {branch: main}, auth: {username: " +
                   env["GIT_HTTP_USER"] + ", passwordFile: password}}\npipelines:\n"
                   "- {name: " + cluster + ", source: fleet, path: clusters/" + cluster + ", renderers: " + renderers +
                   ", sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + ", healthTimeout: 2m}}\n");
  };
  write_file(work / "lsan.supp", libgit2_leak_suppressions);
  const std::map<std::string, std::string> sanitizer_env{{"LSAN_OPTIONS", "suppressions=" + (work / "lsan.supp").string()}};
  auto driftless = [&](std::vector<std::string> command) {
    std::vector<std::string> args{"--config", (work / "driftless.yaml").string(), "--state-dir", (work / "state").string(),
                                  "--plugin-dir", plugin_dir().string()};
    args.insert(args.end(), command.begin(), command.end());
    return run_driftless(args, sanitizer_env);
  };
  auto kubectl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"]});
    return run(args);
  };
  auto exists = [&](const std::string& kind, const std::string& name, const std::string& ns = "") {
    std::vector<std::string> args{"get", kind, name};
    if (!ns.empty()) args.insert(args.end(), {"-n", ns});
    return kubectl(args).exit_code == 0;
  };

  // Without the flux stage the Flux objects reach the sink, which refuses them before any write.
  config("staging", "[{type: auto, flux: false}]");
  auto refused = driftless({"apply"});
  const std::string refusal = refused.out + refused.err;
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refusal.find("clusters/staging/infrastructure.yaml:2: error: "), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("a Flux object (kustomize.toolkit.fluxcd.io/v1) is not applied"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("(Kustomization/flux-system/infra-controllers)"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("(GitRepository/flux-system/flux-system)"), std::string::npos) << refusal;
  EXPECT_FALSE(exists("namespace", infra));

  config("staging", "[auto]");
  auto applied = driftless({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  for (const char* pipeline : {"staging", "staging/infra-controllers", "staging/infra-configs", "staging/apps"})
    EXPECT_NE(applied.out.find(std::string(pipeline) + ": ok at main@sha1:"), std::string::npos) << pipeline << "\n" << applied.out;
  EXPECT_EQ(applied.out.find("failed"), std::string::npos) << applied.out;
  EXPECT_EQ(applied.out.find("waiting"), std::string::npos) << applied.out;
  // Dependencies first: controllers, configs, then apps.
  EXPECT_LT(applied.out.find("staging/infra-controllers: ok"), applied.out.find("staging/infra-configs: ok")) << applied.out;
  EXPECT_LT(applied.out.find("staging/infra-configs: ok"), applied.out.find("staging/apps: ok")) << applied.out;
  EXPECT_NE((applied.out + applied.err).find("left out Flux's own install, 3 objects"), std::string::npos) << applied.out << applied.err;

  EXPECT_TRUE(exists("deployment", "ingress-controller", infra));
  EXPECT_TRUE(exists("configmap", "cluster-issuer", infra));
  EXPECT_TRUE(exists("deployment", "podinfo", apps));
  auto values = kubectl({"get", "configmap", "podinfo-values", "-n", apps, "-o", "jsonpath={.data.environment}"});
  EXPECT_EQ(values.out, "staging") << values.err;
  // Nothing of Flux: no CRD, no controller, no namespace of its own.
  EXPECT_FALSE(exists("customresourcedefinition", "kustomizations.kustomize.toolkit.fluxcd.io"));
  EXPECT_FALSE(exists("namespace", "flux-system"));

  // Production's overlay renders its own value from the same repository.
  config("production", "[auto]");
  auto production = driftless({"render"});
  ASSERT_EQ(production.exit_code, 0) << production.out << production.err;
  EXPECT_NE(production.out.find("environment: production"), std::string::npos) << production.out;

  kubectl({"delete", "namespace", infra, apps, "--wait=false"});
}
