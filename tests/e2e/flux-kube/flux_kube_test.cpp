// End to end: a repository in the shape of Flux's flux2-kustomize-helm-example
// (clusters/staging and clusters/production with flux-system bootstrap files
// and a cluster-vars ConfigMap; infrastructure/controllers with a HelmRelease
// from a HelmRepository; infrastructure/configs with an ACME issuer that
// production's Kustomization patches and a SOPS-encrypted Secret; apps/base
// with a HelmRelease from an OCIRepository chartRef, kustomize overlays per
// environment and postBuild substitution), pushed to the tests/env Git HTTP
// server. One pipeline, clusters/staging with renderers [auto], is applied to
// the real kube-apiserver: every level is applied in dependency order on the
// first apply, with no failed attempt, and no Flux object or Flux install
// reaches the cluster. The same pipeline moved to clusters/production then
// takes production's values. Without the flux stage the kube sink refuses the
// Flux objects.
#include <gtest/gtest.h>

#include <random>

#include "chart_repository.hpp"
#include "driftless/toolkit/hash.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kStagingAcme = "https://acme-staging-v02.api.letsencrypt.org/directory";
constexpr const char* kProductionAcme = "https://acme-v02.api.letsencrypt.org/directory";

// What the repository holds that is unique to one run.
struct Fleet {
  std::string infra;             // the namespace of the infrastructure
  std::string apps;              // the namespace of the apps
  std::string chart_repository;  // URL of the HelmRepository (loopback)
  std::string oci_chart;         // oci:// URL of the podinfo chart (the OCI registry of tests/env)
  std::string encrypted_secret;  // a Secret encrypted with sops for the run's age key
  std::string tenant_repository; // URL of a team's own private repository (flux2-multi-tenancy's shape), over HTTP with a password
};

// A Kustomization over `source` ("Kind/name" in flux-system): Flux bootstrap's GitRepository by default.
std::string kustomization(const std::string& name, const std::string& path, const std::string& more = "",
                          const std::string& source = "GitRepository/flux-system") {
  const auto slash = source.find('/');
  return "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: flux-system\nspec:\n  interval: 1h\n  retryInterval: 2m\n  timeout: 2m\n  sourceRef:\n"
         "    kind: " + source.substr(0, slash) + "\n    name: " + source.substr(slash + 1) + "\n  path: " + path +
         "\n  prune: true\n" + more;
}

// Staging reads the repository as today's flux2-kustomize-helm-example does:
// through an ArtifactGenerator that cuts it into an infrastructure and an apps
// artifact; production names the folders of the GitRepository directly.
std::string artifact_generator() {
  return "---\napiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: flux-system\n"
         "  namespace: flux-system\nspec:\n  sources:\n    - alias: monorepo\n      kind: GitRepository\n      name: flux-system\n"
         "  artifacts:\n    - name: infrastructure\n      originRevision: \"@monorepo\"\n      copy:\n"
         "        - from: \"@monorepo/infrastructure/**\"\n          to: \"@artifact/\"\n"
         "    - name: apps\n      originRevision: \"@monorepo\"\n      copy:\n"
         "        - from: \"@monorepo/apps/base/**\"\n          to: \"@artifact/base/\"\n"
         "        - from: \"@monorepo/apps/staging/**\"\n          to: \"@artifact/staging/\"\n          exclude: [\"*.md\"]\n";
}

std::string config_map(const std::string& name, const std::string& ns, const std::string& data) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\ndata:\n  " + data + "\n";
}

std::string namespace_object(const std::string& name) {
  return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n";
}

// The files of clusters/<env>: Flux's bootstrap, the cluster's variables and the Kustomizations.
void add_cluster(std::map<std::string, std::string>& files, const std::string& env) {
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
      "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  namespace: flux-system\n"
      "  labels: {app.kubernetes.io/instance: flux-system, app.kubernetes.io/part-of: flux}\n"
      "spec:\n  selector:\n    matchLabels: {app: kustomize-controller}\n"
      "  template:\n    metadata:\n      labels: {app: kustomize-controller}\n    spec:\n      containers:\n"
      "        - {name: manager, image: ghcr.io/fluxcd/kustomize-controller:v1.4.0}\n";
  files[cluster + "flux-system/gotk-sync.yaml"] =
      "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
      "  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  secretRef:\n    name: flux-system\n"
      "  url: ssh://git@github.com/acme/fleet\n" +
      kustomization("flux-system", "./clusters/" + env);
  // Read by the apps Kustomization's substituteFrom, as Flux reads it from the cluster.
  files[cluster + "cluster-vars.yaml"] = config_map("cluster-vars", "flux-system", "cluster_domain: " + env + ".example.com");
  // Production's issuer talks to Let's Encrypt's production endpoint: a patch of the Kustomization, as in Flux's example.
  const std::string acme_patch =
      env != "production" ? ""
                          : "  patches:\n    - patch: |\n        - op: replace\n          path: /data/server\n"
                            "          value: " + std::string(kProductionAcme) +
                                "\n      target:\n        kind: ConfigMap\n        name: letsencrypt\n";
  const bool by_artifacts = env == "staging";
  if (by_artifacts) files[cluster + "artifacts.yaml"] = artifact_generator();
  const std::string infrastructure = by_artifacts ? "ExternalArtifact/infrastructure" : "GitRepository/flux-system";
  const std::string infrastructure_path = by_artifacts ? "./" : "./infrastructure/";
  files[cluster + "infrastructure.yaml"] =
      kustomization("infra-controllers", infrastructure_path + "controllers", "  wait: true\n", infrastructure) +
      kustomization("infra-configs", infrastructure_path + "configs",
                    "  dependsOn:\n    - name: infra-controllers\n  decryption:\n    provider: sops\n"
                    "    secretRef:\n      name: sops-age\n" + acme_patch,
                    infrastructure);
  files[cluster + "apps.yaml"] = kustomization(
      "apps", (by_artifacts ? "./" : "./apps/") + env,
      "  wait: true\n  dependsOn:\n    - name: infra-configs\n  postBuild:\n    substitute:\n      cluster_env: " + env +
          "\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n"
          "      - kind: Secret\n        name: cluster-secret-vars\n        optional: true\n",
      by_artifacts ? "ExternalArtifact/apps" : "GitRepository/flux-system");
}

// apps/<env>: the base with the environment's replica count (a kustomize patch of the HelmRelease's values).
void add_app_overlay(std::map<std::string, std::string>& files, const std::string& env, const std::string& apps, int replicas) {
  files["apps/" + env + "/kustomization.yaml"] =
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/podinfo\npatches:\n"
      "  - path: podinfo-values.yaml\n    target:\n      kind: HelmRelease\n";
  files["apps/" + env + "/podinfo-values.yaml"] =
      "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: " + apps +
      "\nspec:\n  values:\n    replicaCount: " + std::to_string(replicas) + "\n";
}

std::map<std::string, std::string> flux_repository(const Fleet& fleet) {
  std::map<std::string, std::string> files;
  add_cluster(files, "staging");
  add_cluster(files, "production");
  // Production also runs a team's private repository: a GitRepository of another repository, with the Secret
  // of its credentials, and a Kustomization on it.
  files["clusters/production/tenants.yaml"] =
      "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: team\n  namespace: flux-system\n"
      "spec:\n  interval: 1m\n  url: " + fleet.tenant_repository + "\n  ref:\n    branch: main\n  secretRef:\n    name: team-https\n" +
      kustomization("team", "./deploy", "  targetNamespace: " + fleet.apps + "\n  dependsOn:\n    - name: apps\n",
                    "GitRepository/team");
  add_app_overlay(files, "staging", fleet.apps, 1);
  add_app_overlay(files, "production", fleet.apps, 2);

  files["infrastructure/controllers/kustomization.yaml"] =
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ingress-nginx.yaml\n";
  files["infrastructure/controllers/ingress-nginx.yaml"] =
      "---\n" + namespace_object(fleet.infra) +
      "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: ingress-nginx\n  namespace: " +
      fleet.infra + "\nspec:\n  interval: 24h\n  url: " + fleet.chart_repository +
      "\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ingress-nginx\n  namespace: " +
      fleet.infra + "\nspec:\n  interval: 30m\n  chart:\n    spec:\n      chart: ingress-nginx\n      version: \"*\"\n"
      "      sourceRef:\n        kind: HelmRepository\n        name: ingress-nginx\n      interval: 12h\n"
      "  values:\n    controller:\n      service:\n        type: NodePort\n";
  // No kustomization.yaml: Flux's generator (auto) reads every manifest below.
  // The issuer is a ConfigMap standing in for cert-manager's ClusterIssuer.
  files["infrastructure/configs/cluster-issuers.yaml"] =
      config_map("letsencrypt", fleet.infra, "server: " + std::string(kStagingAcme));
  files["infrastructure/configs/dns-token.sops.yaml"] = fleet.encrypted_secret;

  files["apps/base/podinfo/kustomization.yaml"] =
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n"
      "  - repository.yaml\n  - release.yaml\n";
  files["apps/base/podinfo/namespace.yaml"] = namespace_object(fleet.apps);
  files["apps/base/podinfo/repository.yaml"] =
      "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: podinfo\n  namespace: " +
      fleet.apps + "\nspec:\n  interval: 10m\n  insecure: true\n  layerSelector:\n"
      "    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n  url: " +
      fleet.oci_chart + "\n  ref:\n    semver: \">= 6.0.0\"\n";
  files["apps/base/podinfo/release.yaml"] =
      "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: " + fleet.apps +
      "\nspec:\n  releaseName: podinfo\n  chartRef:\n    kind: OCIRepository\n    name: podinfo\n  interval: 50m\n"
      "  values:\n    replicaCount: 3\n    hostname: podinfo.${cluster_domain}\n    environment: ${cluster_env}\n";
  return files;
}

// The two charts: ingress-nginx in a chart repository served on loopback,
// podinfo in the OCI registry; each shows its values in a ConfigMap.
void publish_charts(ChartRepository& charts, const std::string& oci_repository) {
  charts.add("ingress-nginx", "4.11.3",
             {{"configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-controller\ndata:\n"
                                 "  serviceType: {{ .Values.controller.service.type | quote }}\n"
                                 "  chartVersion: {{ .Chart.Version | quote }}\n"}},
             "controller:\n  service:\n    type: LoadBalancer\n");
  charts.add("podinfo", "6.7.1",
             {{"deployment.yaml",
               "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
               "  replicas: {{ .Values.replicaCount }}\n  selector:\n    matchLabels: {app: {{ .Release.Name }}}\n"
               "  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}}\n    spec:\n      containers:\n"
               "        - {name: podinfo, image: ghcr.io/stefanprodan/podinfo:6.7.1}\n"},
              {"configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\ndata:\n"
                                 "  hostname: {{ .Values.hostname | quote }}\n  environment: {{ .Values.environment | quote }}\n"
                                 "  chartVersion: {{ .Chart.Version | quote }}\n"}},
             "replicaCount: 1\nhostname: podinfo.local\nenvironment: none\n");
  charts.push_oci("podinfo", "6.7.1", oci_repository);
}

}  // namespace

TEST(FluxKube, AFluxRepositoryRunsUnchangedLevelByLevelAndNoFluxObjectReachesTheCluster) {
  auto env = require_env();
  ASSERT_FALSE(env["KUBECONFIG"].empty() || env["KUBECTL"].empty() || env["SOPS"].empty() || env["AGE_KEYGEN"].empty() ||
               env["OCI_REGISTRY_URL"].empty())
      << "tests/env env file";
  TempDir work;
  const std::string run_id = std::to_string(std::random_device{}() % 1000000);
  const std::string token = "dns-t0ken-" + run_id;
  Fleet fleet{"flux-infra-" + run_id, "flux-apps-" + run_id, "", "", "", ""};

  ChartRepository charts;
  publish_charts(charts, "public/flux-e2e-" + run_id);
  fleet.chart_repository = charts.url();
  fleet.oci_chart = env["OCI_REGISTRY_URL"] + "/public/flux-e2e-" + run_id + "/podinfo";

  // The age key Flux would read from the sops-age Secret goes to the flux stage's ageKeyFile.
  const fs::path key = work / "age.keys";
  ASSERT_EQ(run({env["AGE_KEYGEN"], "-o", key.string()}).exit_code, 0);
  std::string recipient = run({env["AGE_KEYGEN"], "-y", key.string()}).out;
  recipient.pop_back();
  // Made as Flux's guide makes it: kubectl writes the keys sorted, as kustomize writes them back (the MAC covers their order).
  auto plain = run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "create", "secret", "generic", "dns-token", "-n",
                    fleet.infra, "--from-literal=token=" + token, "--dry-run=client", "-o", "yaml"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  write_file(work / "plain.yaml", plain.out);
  auto encrypted = run({env["SOPS"], "--encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$",
                        (work / "plain.yaml").string()});
  ASSERT_EQ(encrypted.exit_code, 0) << encrypted.err;
  fs::remove(work / "plain.yaml");
  fleet.encrypted_secret = encrypted.out;

  TestRepo tenant("flux-e2e-team");
  tenant.commit({{"deploy/settings.yaml", config_map("team-settings", "default", "owner: team-" + run_id)}}, "the team's app");
  fleet.tenant_repository = env["GIT_HTTP_URL"] + tenant.url_path();
  TestRepo repo("flux-e2e");
  repo.commit(flux_repository(fleet), "a Flux repository");

  write_file(work / "password", env["GIT_HTTP_PASSWORD"]);
  // One pipeline, first on staging's folder, then on production's: both would apply the same objects to the one test cluster.
  auto config = [&](const std::string& cluster, const std::string& renderers, const std::string& more = "") {
    write_file(work / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " +
                   env["GIT_HTTP_URL"] + repo.url_path() + ", ref: {branch: main}, auth: {username: " +
                   env["GIT_HTTP_USER"] + ", passwordFile: password}}\npipelines:\n"
                   "- {name: cluster, source: fleet, path: clusters/" + cluster + ", renderers: " + renderers + more +
                   ", sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + ", healthTimeout: 2m}}\n");
  };
  const std::string with_key = "[{type: auto, ageKeyFile: " + key.string() + "}]";
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
  auto field = [&](const std::string& kind, const std::string& name, const std::string& ns, const std::string& path) {
    return kubectl({"get", kind, name, "-n", ns, "-o", "jsonpath={" + path + "}"}).out;
  };
  // Every level ok at the first attempt, dependencies first, nothing failed or waiting, no secret shown.
  auto expect_ready_in_order = [&](const CommandResult& applied) {
    for (const char* pipeline : {"cluster", "cluster/infra-controllers", "cluster/infra-configs", "cluster/apps"})
      EXPECT_NE(applied.out.find(std::string(pipeline) + ": ok at main@sha1:"), std::string::npos)
          << pipeline << "\n" << applied.out;
    EXPECT_EQ(applied.out.find("failed"), std::string::npos) << applied.out;
    EXPECT_EQ(applied.out.find("waiting"), std::string::npos) << applied.out;
    EXPECT_LT(applied.out.find("cluster/infra-controllers: ok"), applied.out.find("cluster/infra-configs: ok")) << applied.out;
    EXPECT_LT(applied.out.find("cluster/infra-configs: ok"), applied.out.find("cluster/apps: ok")) << applied.out;
    EXPECT_EQ((applied.out + applied.err).find(token), std::string::npos) << "the decrypted token in driftless's output";
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
  EXPECT_FALSE(exists("namespace", fleet.infra));

  config("staging", with_key);
  auto staging = driftless({"apply"});
  ASSERT_EQ(staging.exit_code, 0) << staging.out << staging.err;
  expect_ready_in_order(staging);
  // The flux-system Namespace stays for cluster-vars; the CRD and the controller are left out.
  EXPECT_NE((staging.out + staging.err).find("left out Flux's own install, 2 objects"), std::string::npos)
      << staging.out << staging.err;

  // infra-controllers: a release from the HelmRepository on loopback, with the HelmRelease's values.
  EXPECT_EQ(field("configmap", "ingress-nginx-controller", fleet.infra, ".data.serviceType"), "NodePort");
  EXPECT_EQ(field("configmap", "ingress-nginx-controller", fleet.infra, ".data.chartVersion"), "4.11.3");
  EXPECT_TRUE(exists("secret", "sh.helm.release.v1.ingress-nginx.v1", fleet.infra));
  // infra-configs: staging's ACME endpoint; the Secret decrypted with the age key.
  EXPECT_EQ(field("configmap", "letsencrypt", fleet.infra, ".data.server"), kStagingAcme);
  EXPECT_EQ(base64_decode(field("secret", "dns-token", fleet.infra, ".data.token")).value_or("?"), token);
  // apps: a release from the OCIRepository chartRef, staging's replicas (the overlay's patch), the cluster's
  // domain (substituteFrom cluster-vars) and environment (substitute).
  EXPECT_EQ(field("deployment", "podinfo", fleet.apps, ".spec.replicas"), "1");
  EXPECT_EQ(field("configmap", "podinfo-settings", fleet.apps, ".data.hostname"), "podinfo.staging.example.com");
  EXPECT_EQ(field("configmap", "podinfo-settings", fleet.apps, ".data.environment"), "staging");
  EXPECT_EQ(field("configmap", "podinfo-settings", fleet.apps, ".data.chartVersion"), "6.7.1");
  EXPECT_EQ(field("configmap", "cluster-vars", "flux-system", ".data.cluster_domain"), "staging.example.com");

  // Nothing of Flux: no CRD, no controller, no Flux object (where another test serves a Flux CRD, none in these namespaces).
  EXPECT_FALSE(exists("customresourcedefinition", "kustomizations.kustomize.toolkit.fluxcd.io"));
  EXPECT_FALSE(exists("deployment", "kustomize-controller", "flux-system"));
  for (const char* resource : {"kustomizations.kustomize.toolkit.fluxcd.io", "gitrepositories.source.toolkit.fluxcd.io",
                               "helmrepositories.source.toolkit.fluxcd.io", "ocirepositories.source.toolkit.fluxcd.io",
                               "helmreleases.helm.toolkit.fluxcd.io"})
    for (const std::string& ns : {std::string("flux-system"), fleet.infra, fleet.apps}) {
      auto listed = kubectl({"get", resource, "-n", ns, "-o", "name"});
      EXPECT_TRUE(listed.out.empty() && (listed.err.find("doesn't have a resource type") != std::string::npos ||
                                         listed.err.find("No resources found") != std::string::npos))
          << resource << " in " << ns << ": " << listed.out << listed.err;
    }

  // The same cluster on production's folder: the Kustomization's patch, the overlay and the variables of production.
  // The team's repository is fetched only where the configured pipeline allows sources the repository names.
  config("production", with_key);
  auto refused_team = driftless({"apply"});
  EXPECT_NE(refused_team.exit_code, 0);
  EXPECT_NE((refused_team.out + refused_team.err).find("clusters/production/tenants.yaml:15: error: "), std::string::npos)
      << refused_team.out << refused_team.err;
  EXPECT_NE((refused_team.out + refused_team.err).find("set allowDeclaredSources: true"), std::string::npos)
      << refused_team.out << refused_team.err;

  // The team's Secret is not read: the config lends the credentials for the URLs under the HTTP server.
  config("production", with_key,
         ", allowDeclaredSources: true, declaredSourceAuth: [{type: git, urlPrefix: '" + env["GIT_HTTP_URL"] +
             "', auth: {username: " + env["GIT_HTTP_USER"] + ", passwordFile: password}}]");
  auto production = driftless({"apply"});
  ASSERT_EQ(production.exit_code, 0) << production.out << production.err;
  expect_ready_in_order(production);
  // Another repository's revision, after the apps it depends on.
  EXPECT_NE(production.out.find("cluster/team: ok at main@sha1:"), std::string::npos) << production.out;
  EXPECT_LT(production.out.find("cluster/apps: ok"), production.out.find("cluster/team: ok")) << production.out;
  EXPECT_EQ(field("configmap", "team-settings", fleet.apps, ".data.owner"), "team-" + run_id);
  EXPECT_EQ(field("configmap", "letsencrypt", fleet.infra, ".data.server"), kProductionAcme);
  EXPECT_EQ(base64_decode(field("secret", "dns-token", fleet.infra, ".data.token")).value_or("?"), token);
  EXPECT_EQ(field("deployment", "podinfo", fleet.apps, ".spec.replicas"), "2");
  EXPECT_EQ(field("configmap", "podinfo-settings", fleet.apps, ".data.hostname"), "podinfo.production.example.com");
  EXPECT_EQ(field("configmap", "podinfo-settings", fleet.apps, ".data.environment"), "production");

  kubectl({"delete", "namespace", fleet.infra, fleet.apps, "flux-system", "--wait=false"});
}
