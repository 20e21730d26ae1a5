// The flux renderer reads the Flux objects of a render (a cluster folder of
// Flux's flux2-kustomize-helm-example shape) into declared pipelines, takes
// sources, Flux's install and unsupported kinds out, each named in a finding.
#include <gtest/gtest.h>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

constexpr const char* kSync = R"(apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 1m0s
  ref: {branch: main}
  secretRef: {name: flux-system}
  url: ssh://git@github.com/acme/fleet
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 10m0s
  path: ./clusters/staging
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
)";

constexpr const char* kComponents = R"(apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
  labels: {app.kubernetes.io/instance: flux-system, app.kubernetes.io/part-of: flux}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: kustomizations.kustomize.toolkit.fluxcd.io}
spec: {group: kustomize.toolkit.fluxcd.io, names: {kind: Kustomization, plural: kustomizations}, scope: Namespaced}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kustomize-controller
  namespace: flux-system
  labels: {app.kubernetes.io/instance: flux-system, app.kubernetes.io/part-of: flux}
)";

constexpr const char* kInfrastructure = R"(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: infra-controllers, namespace: flux-system}
spec:
  interval: 1h
  retryInterval: 1m
  timeout: 5m
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./infrastructure/controllers
  prune: true
  wait: true
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: infra-configs, namespace: flux-system}
spec:
  dependsOn: [{name: infra-controllers}]
  interval: 1h
  sourceRef: {kind: GitRepository, name: flux-system}
  path: infrastructure/configs/
  prune: true
)";

constexpr const char* kApps = R"(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  dependsOn: [{name: infra-configs}]
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./apps/staging
  prune: false
  force: true
  targetNamespace: podinfo
  namePrefix: staging-
  commonMetadata: {labels: {team: web}}
  images: [{name: podinfo, newTag: 6.5.0}]
  patches:
    - patch: '[{"op": "replace", "path": "/spec/replicas", "value": 2}]'
      target: {kind: Deployment, name: podinfo}
  postBuild:
    substitute: {cluster_env: staging, region: inline}
    substituteFrom:
      - {kind: ConfigMap, name: cluster-vars}
      - {kind: Secret, name: cluster-secrets}
      - {kind: ConfigMap, name: absent, optional: true}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cluster-vars, namespace: flux-system}
data: {region: eu-west-1, domain: staging.example.com}
---
apiVersion: v1
kind: Secret
metadata: {name: cluster-secrets, namespace: flux-system}
data: {token: )";

std::vector<KubeObject> objects(const std::string& yaml, const std::string& file) {
  auto parsed = parse_manifests(yaml, file);
  if (has_errors(parsed.diagnostics)) throw std::runtime_error("bad fixture " + file);
  return parsed.objects;
}

std::vector<KubeObject> staging_cluster() {
  std::vector<KubeObject> all;
  for (auto [yaml, file] : std::vector<std::pair<std::string, std::string>>{
           {kSync, "clusters/staging/flux-system/gotk-sync.yaml"},
           {kComponents, "clusters/staging/flux-system/gotk-components.yaml"},
           {kInfrastructure, "clusters/staging/infrastructure.yaml"},
           {std::string(kApps) + base64_encode("s3cret-token") + "}\n", "clusters/staging/apps.yaml"}}) {
    auto more = objects(yaml, file);
    all.insert(all.end(), more.begin(), more.end());
  }
  return all;
}

Rendered flux(const std::vector<KubeObject>& input, const std::string& config = "{}", const std::string& path = "clusters/staging") {
  TempDir root;
  return render({"flux", config, root.path(), path, input, nullptr});
}

const DeclaredPipeline& declared(const Rendered& r, const std::string& name) {
  for (const auto& p : r.result.pipelines)
    if (p.name == name) return p;
  throw std::runtime_error("no declared pipeline " + name + " in:\n" + r.diagnostics());
}

std::vector<std::string> stages(const DeclaredPipeline& p) {
  std::vector<std::string> out;
  for (const auto& use : p.renderers) out.push_back(use.type);
  return out;
}

const Value& stage_config(const DeclaredPipeline& p, const std::string& type) {
  for (const auto& use : p.renderers)
    if (use.type == type) return use.config;
  throw std::runtime_error("no stage " + type + " in " + p.name);
}

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `yaml` as the file `name` of clusters/production and then of clusters/staging:
// what a render of the root of a repository with both cluster folders reads.
std::vector<KubeObject> in_both_clusters(const std::string& yaml, const std::string& name) {
  auto both = objects(yaml, "clusters/production/" + name);
  auto staging = objects(yaml, "clusters/staging/" + name);
  both.insert(both.end(), staging.begin(), staging.end());
  return both;
}

}  // namespace

TEST(FluxRenderer, AClusterFolderOfTheFluxExampleDeclaresOnePipelinePerKustomizationInDependencyShape) {
  auto r = flux(staging_cluster());
  ASSERT_FALSE(has_errors(r.result.diagnostics)) << r.diagnostics();
  // The bootstrap Kustomization over this very folder is skipped, not a recursion.
  ASSERT_EQ(r.result.pipelines.size(), 3u) << r.diagnostics();
  EXPECT_TRUE(mentions(r.diagnostics(), "clusters/staging/flux-system/gotk-sync.yaml:10: info")) << r.diagnostics();
  EXPECT_TRUE(mentions(r.diagnostics(), "Flux bootstrap's own sync")) << r.diagnostics();

  const auto& controllers = declared(r, "infra-controllers");
  EXPECT_EQ(controllers.path, "infrastructure/controllers");
  EXPECT_EQ(controllers.interval, std::chrono::milliseconds(3600000));
  EXPECT_EQ(controllers.retry_interval, std::chrono::milliseconds(60000));
  EXPECT_EQ(declared(r, "infra-configs").retry_interval, std::nullopt) << "none: the daemon's backoff";
  EXPECT_TRUE(controllers.depends_on.empty());
  EXPECT_EQ(controllers.declared_by, "Kustomization/flux-system/infra-controllers");
  EXPECT_EQ(controllers.origin.file, "clusters/staging/infrastructure.yaml");
  EXPECT_EQ(to_json(controllers.sink), R"({"prune":true,"wait":true,"healthTimeout":"300000ms"})");
  EXPECT_EQ(stages(controllers), (std::vector<std::string>{"auto", "flux", "helmrelease"}));
  EXPECT_EQ(to_json(stage_config(controllers, "auto")), R"({"flux":false})");
  EXPECT_EQ(to_json(stage_config(controllers, "flux")), R"({"childRenderers":["helmrelease"]})");

  const auto& configs = declared(r, "infra-configs");
  EXPECT_EQ(configs.path, "infrastructure/configs");
  EXPECT_EQ(configs.depends_on, std::vector<std::string>{"infra-controllers"});

  const auto& apps = declared(r, "apps");
  EXPECT_EQ(apps.path, "apps/staging");
  EXPECT_EQ(apps.depends_on, std::vector<std::string>{"infra-configs"});
  EXPECT_EQ(to_json(apps.sink), R"({"prune":false,"force":true,"namespace":"podinfo"})");
  EXPECT_EQ(stages(apps), (std::vector<std::string>{"auto", "overlay", "substitute", "flux", "helmrelease"}));
  EXPECT_EQ(to_json(stage_config(apps, "overlay")),
            R"({"targetNamespace":"podinfo","namePrefix":"staging-","commonMetadata":{"labels":{"team":"web"}},)"
            R"("images":[{"name":"podinfo","newTag":"6.5.0"}],"patches":[{"patch":"[{\"op\": \"replace\", \"path\": )"
            R"(\"/spec/replicas\", \"value\": 2}]","target":{"kind":"Deployment","name":"podinfo"}}]})");
  // substituteFrom in order, then substitute on top, as Flux does.
  EXPECT_EQ(to_json(stage_config(apps, "substitute")),
            R"({"variables":{"domain":"staging.example.com","region":"inline","token":"s3cret-token","cluster_env":"staging"},"strict":false})");
  EXPECT_TRUE(mentions(r.diagnostics(), "ConfigMap/flux-system/absent (optional) is not among the objects")) << r.diagnostics();
  EXPECT_FALSE(mentions(r.diagnostics(), "s3cret")) << r.diagnostics();
}

TEST(FluxRenderer, SourcesAndFluxsInstallAreTakenOutWithOneWarningAndTheNamespaceInUseStays) {
  auto r = flux(staging_cluster());
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/flux-system/cluster-vars", "Secret/flux-system/cluster-secrets",
                                               "Namespace/flux-system"}));
  EXPECT_TRUE(mentions(r.diagnostics(), "clusters/staging/flux-system/gotk-components.yaml:7: warning: left out Flux's own "
                                        "install, 2 objects (CustomResourceDefinition 1, Deployment 1"))
      << r.diagnostics();
  EXPECT_FALSE(mentions(r.diagnostics(), "retryInterval")) << "read, not warned about: " << r.diagnostics();
}

// Flux's monitoring guide (flux2-monitoring-example's monitoring/configs)
// labels the user's own PodMonitor and Grafana dashboards part-of: flux, without
// the instance label `flux install` puts on all of its objects: they are applied.
TEST(FluxRenderer, ObjectsLabelledPartOfFluxWithoutTheInstallsInstanceLabelAreKept) {
  auto r = flux(objects(R"(apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: flux-system
  namespace: monitoring
  labels: {app.kubernetes.io/part-of: flux, app.kubernetes.io/component: monitoring}
spec:
  namespaceSelector: {matchNames: [flux-system]}
  podMetricsEndpoints: [{port: http-prom}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: flux-grafana-dashboards
  namespace: monitoring
  labels: {grafana_dashboard: "1", app.kubernetes.io/part-of: flux, app.kubernetes.io/component: monitoring}
data: {cluster.json: "{}"}
)",
                        "monitoring/configs/kustomization.yaml"),
                "{}", "monitoring/configs");
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"PodMonitor/monitoring/flux-system",
                                               "ConfigMap/monitoring/flux-grafana-dashboards"}));
}

TEST(FluxRenderer, HelmReleasesAndTheSourcesTheyNameGoOnToTheHelmreleaseRenderer) {
  auto r = flux(objects(R"(apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: podinfo, namespace: flux-system}
spec: {url: https://stefanprodan.github.io/podinfo}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: unused, namespace: flux-system}
spec: {url: https://charts.example.com}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: podinfo}
spec:
  chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo, namespace: flux-system}}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: slack, namespace: flux-system}
)", "infrastructure/controllers/podinfo.yaml"));
  EXPECT_FALSE(has_errors(r.result.diagnostics)) << r.diagnostics();
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"HelmRelease/podinfo/podinfo", "HelmRepository/flux-system/podinfo"}));
  EXPECT_TRUE(mentions(r.diagnostics(), "podinfo.yaml:6: warning: HelmRepository is read by no Kustomization or HelmRelease"))
      << r.diagnostics();
  EXPECT_TRUE(mentions(r.diagnostics(), "podinfo.yaml:17: warning: Alert (notification.toolkit.fluxcd.io/v1beta3) is not "
                                        "supported"))
      << r.diagnostics();
}

TEST(FluxRenderer, AGitRepositoryOfAnotherRepositoryOrBranchBecomesTheDeclaredPipelinesOwnSource) {
  auto input = objects(R"(apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: dev-team, namespace: apps}
spec:
  interval: 1m
  url: https://github.com/acme/fleet
  ref: {branch: dev-team}
  secretRef: {name: dev-team-auth}
  timeout: 90s
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: dev-team, namespace: apps}
spec: {interval: 5m, prune: true, serviceAccountName: dev-team, sourceRef: {kind: GitRepository, name: dev-team}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: local, namespace: apps}
spec: {url: /var/lib/driftless/state, ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: local, namespace: apps}
spec: {interval: 5m, path: ./, prune: true, sourceRef: {kind: GitRepository, name: local}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata: {name: oci, namespace: flux-system}
spec: {interval: 1m, path: ./, prune: true, sourceRef: {kind: OCIRepository, name: flux-system}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: missing, namespace: flux-system}
spec: {interval: 1m, path: ./, prune: true, sourceRef: {kind: GitRepository, name: absent}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: platform, namespace: apps}
spec: {interval: 1m, url: "ssh://git@github.com/acme/platform", ref: {tag: v1.2.0}, secretRef: {name: platform-deploy-key}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: platform, namespace: apps}
spec: {interval: 5m, path: ./deploy, prune: true, sourceRef: {kind: GitRepository, name: platform}}
)", "tenants/sync.yaml");
  Artifact fleet;
  fleet.revision = "main@sha1:0123456789abcdef0123456789abcdef01234567";
  fleet.metadata["url"] = "https://github.com/acme/fleet";
  TempDir root;
  auto r = render({"flux", "{}", root.path(), "clusters/staging", input, nullptr}, {}, &fleet);
  const std::string d = r.diagnostics();
  ASSERT_EQ(r.result.pipelines.size(), 2u) << d;
  // ssh: the URL only; the key comes from the configured pipeline's declaredSourceAuth (the core lends it).
  const auto& platform = declared(r, "platform");
  ASSERT_TRUE(platform.source.has_value()) << d;
  EXPECT_EQ(to_json(platform.source->config), R"({"url":"ssh://git@github.com/acme/platform","ref":{"tag":"v1.2.0"}})");
  // The same URL on another branch is another revision: fetched as the pipeline's own source, without credentials.
  const auto& team = declared(r, "dev-team");
  ASSERT_TRUE(team.source.has_value()) << d;
  EXPECT_EQ(team.source->type, "git");
  EXPECT_EQ(to_json(team.source->config), R"({"url":"https://github.com/acme/fleet","ref":{"branch":"dev-team"},"timeout":"90000ms"})");
  EXPECT_EQ(team.path, "");
  EXPECT_TRUE(mentions(d, "sync.yaml:1: warning: spec.secretRef is not supported: driftless never reads Secrets")) << d;
  EXPECT_TRUE(mentions(d, "sync.yaml:16: error: spec.url '/var/lib/driftless/state': driftless fetches a repository a "
                          "Kustomization names over https://, http://, git:// or ssh:// only"))
      << d;
  EXPECT_TRUE(mentions(d, "error: spec.sourceRef OCIRepository/flux-system/flux-system is not among the objects of this render")) << d;
  EXPECT_TRUE(mentions(d, "error: spec.sourceRef GitRepository/flux-system/absent is not among the objects of this render")) << d;
}

TEST(FluxRenderer, AnOCIRepositoryBecomesTheDeclaredPipelinesOciSource) {
  auto input = objects(R"(apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: manifests, namespace: apps}
spec:
  interval: 1m
  url: oci://ghcr.io/acme/manifests
  ref: {tag: v1.0.0, semver: ">=1.0.0"}
  insecure: true
  layerSelector: {mediaType: application/vnd.cncf.flux.content.v1.tar+gzip, operation: extract}
  provider: aws
  secretRef: {name: ghcr-auth}
  verify: {provider: cosign}
  timeout: 30s
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: manifests, namespace: apps}
spec: {interval: 5m, path: ./deploy, prune: true, sourceRef: {kind: OCIRepository, name: manifests}}
---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata: {name: latest, namespace: apps}
spec: {url: oci://registry.example/app, provider: generic}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: latest, namespace: apps}
spec: {interval: 5m, prune: true, sourceRef: {kind: OCIRepository, name: latest}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: pinned, namespace: apps}
spec:
  url: oci://registry.example/app
  ref: {digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", tag: v2}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: pinned, namespace: apps}
spec: {interval: 5m, prune: true, sourceRef: {kind: OCIRepository, name: pinned}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: https, namespace: apps}
spec: {url: "https://registry.example/app", layerSelector: {operation: unpack}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: https, namespace: apps}
spec: {interval: 5m, prune: true, sourceRef: {kind: OCIRepository, name: https}}
)", "apps/sync.yaml");
  TempDir root;
  auto r = render({"flux", "{}", root.path(), "clusters/staging", input, nullptr});
  const std::string d = r.diagnostics();
  ASSERT_EQ(r.result.pipelines.size(), 3u) << d;
  const auto& manifests = declared(r, "manifests");
  ASSERT_TRUE(manifests.source.has_value()) << d;
  EXPECT_EQ(manifests.source->type, "oci");
  // Flux's precedence: the semver range wins over the tag.
  EXPECT_EQ(to_json(manifests.source->config),
            R"({"url":"oci://ghcr.io/acme/manifests","ref":{"semver":">=1.0.0"},"insecure":true,)"
            R"("layerSelector":{"mediaType":"application/vnd.cncf.flux.content.v1.tar+gzip","operation":"extract"},)"
            R"("timeout":"30000ms"})");
  EXPECT_EQ(manifests.path, "deploy");
  EXPECT_TRUE(mentions(d, "sync.yaml:1: warning: spec.secretRef is not supported: driftless never reads Secrets of the "
                          "cluster; a private artifact is pulled with the credentials the configured pipeline lends under "
                          "declaredSourceAuth"))
      << d;
  EXPECT_TRUE(mentions(d, "sync.yaml:1: warning: spec.verify is not supported: the artifact's signature is not verified")) << d;
  EXPECT_TRUE(mentions(d, "sync.yaml:1: warning: spec.provider 'aws' is not supported")) << d;
  EXPECT_EQ(to_json(declared(r, "latest").source->config), R"({"url":"oci://registry.example/app","ref":{"tag":"latest"}})");
  EXPECT_FALSE(mentions(d, "provider 'generic'")) << d;
  EXPECT_EQ(to_json(declared(r, "pinned").source->config),
            R"({"url":"oci://registry.example/app","ref":{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}})");
  EXPECT_TRUE(mentions(d, "error: spec.url 'https://registry.example/app': driftless pulls an OCIRepository from an "
                          "oci:// URL only"))
      << d;
  EXPECT_TRUE(mentions(d, "error: spec.layerSelector.operation 'unpack' is not one of extract, copy")) << d;
}

TEST(FluxRenderer, FieldsDriftlessCannotHonourAreErrorsOrWarningsNamingFieldAndObject) {
  auto r = flux(objects(R"(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: remote, namespace: flux-system}
spec:
  interval: 1m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  kubeConfig: {configMapRef: {name: prod-workload-identity}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: escapes, namespace: flux-system}
spec: {interval: 1m, path: ../../etc, prune: true, sourceRef: {kind: GitRepository, name: flux-system}, madeUp: 1}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: tenant-a}
spec: {interval: 1m, path: ./a, prune: true, sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: tenant-b}
spec: {interval: 1m, path: ./b, prune: true, sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: missing-vars, namespace: flux-system}
spec:
  interval: 1m
  path: ./c
  sourceRef: {kind: GitRepository, name: flux-system}
  dependsOn: [{name: apps, namespace: tenant-a}]
  postBuild: {substituteFrom: [{kind: Secret, name: cluster-secrets}]}
)", "clusters/staging/bad.yaml"));
  const std::string d = r.diagnostics();
  EXPECT_TRUE(mentions(d, "bad.yaml:1: error: spec.kubeConfig: driftless reads secretRef.name only, as a context of the "
                          "pipeline's kubeconfig (a cluster from a ConfigMap, configMapRef, is not supported)")) << d;
  EXPECT_TRUE(mentions(d, "bad.yaml:11: error: spec.path '../../etc' leaves the source")) << d;
  EXPECT_TRUE(mentions(d, "bad.yaml:11: warning: spec.madeUp is not a field driftless knows")) << d;
  EXPECT_TRUE(mentions(d, "bad.yaml:21: error: Kustomization 'apps' is declared in namespace 'tenant-b' and in 'tenant-a' "
                          "(clusters/staging/bad.yaml:16)"))
      << d;
  EXPECT_TRUE(mentions(d, "bad.yaml:26: error: spec.dependsOn tenant-a/apps:")) << d;
  EXPECT_TRUE(mentions(d, "bad.yaml:26: error: spec.postBuild.substituteFrom Secret/flux-system/cluster-secrets is not among "
                          "the objects of this render"))
      << d;
  EXPECT_EQ(r.result.pipelines.size(), 1u) << d;  // tenant-a's apps; the render fails as a whole anyway
}

// The root of a repository in flux2-kustomize-helm-example's shape holds
// clusters/staging and clusters/production, each declaring flux-system/apps.
TEST(FluxRenderer, AKustomizationDeclaredTwiceInOneNamespaceNamesBothPlacesNotTheNamespaceTwice) {
  constexpr const char* kApps = R"(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {interval: 1m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
)";
  auto input = in_both_clusters(kApps, "apps.yaml");
  const std::string d = flux(input, "{}", "").diagnostics();
  EXPECT_TRUE(mentions(d, "clusters/staging/apps.yaml:1: error: Kustomization 'apps' is declared twice in namespace "
                          "'flux-system', here and at clusters/production/apps.yaml:1"))
      << d;
  EXPECT_FALSE(mentions(d, "'flux-system' and in 'flux-system'")) << d;

  // Built by kustomize (flux2-multi-tenancy's tenants/*), the first has no line to name.
  input[0].origin = {"tenants/production/kustomization.yaml", 0, 0};
  const std::string built = flux(input, "{}", "").diagnostics();
  EXPECT_TRUE(mentions(built, "here and at tenants/production/kustomization.yaml (")) << built;
}

// The same root: each cluster's gotk-sync.yaml holds GitRepository
// flux-system/flux-system. Taken out of the render, it never meets the core's
// check for objects defined twice, so the flux stage names both.
TEST(FluxRenderer, ASourceDefinedTwiceIsAnErrorNamingBothFiles) {
  const std::string d = flux(in_both_clusters(kSync, "flux-system/gotk-sync.yaml"), "{}", "").diagnostics();
  EXPECT_TRUE(mentions(d, "clusters/staging/flux-system/gotk-sync.yaml:1: error: the object is defined twice; the other "
                          "one is in clusters/production/flux-system/gotk-sync.yaml:1 (GitRepository/flux-system/flux-system)"))
      << d;
}

TEST(FluxRenderer, DecryptionImpersonationAndHealthChecksShapeTheChainAndTheSink) {
  auto r = flux(objects(R"(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: secrets, namespace: team-a}
spec:
  interval: 1m
  path: ./secrets
  prune: true
  serviceAccountName: deployer
  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  decryption: {provider: sops, secretRef: {name: sops-age}}
  healthChecks: [{apiVersion: apps/v1, kind: Deployment, name: web, namespace: team-a}]
)", "clusters/staging/secrets.yaml"),
                "{childRenderers: [], ageKeyFile: /etc/driftless/age.keys, pgpKeyFile: /etc/driftless/sops-gpg}");
  ASSERT_EQ(r.result.pipelines.size(), 1u) << r.diagnostics();
  const auto& p = r.result.pipelines[0];
  EXPECT_EQ(stages(p), (std::vector<std::string>{"auto", "sops", "flux"}));
  EXPECT_EQ(to_json(stage_config(p, "sops")), R"({"ageKeyFile":"/etc/driftless/age.keys","pgpKeyFile":"/etc/driftless/sops-gpg"})");
  EXPECT_EQ(to_json(p.sink), R"({"prune":true,"wait":true,"impersonate":{"user":"system:serviceaccount:team-a:deployer"}})");
  EXPECT_TRUE(mentions(r.diagnostics(), "warning: spec.decryption.secretRef (sops-age)")) << r.diagnostics();
  EXPECT_TRUE(mentions(r.diagnostics(), "warning: spec.healthChecks: driftless waits for every object")) << r.diagnostics();
}

// Flux reads another cluster's kubeconfig from a Secret; driftless never reads
// Secrets: the Secret's name is a context of the parent sink's kubeconfig
// (which the kube sink allows only when listed in its declaredContexts).
TEST(FluxRenderer, AKustomizationForAnotherClusterAppliesToTheContextItsKubeConfigSecretNames) {
  ClusterInfo served;
  served.api_versions = {"v1", "kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1/Kustomization"};
  TempDir root;
  auto r = render({"flux", "{}", root.path(), "clusters/hub", objects(R"(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: edge-apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps/edge
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  kubeConfig:
    secretRef: {name: edge-1, key: value}
)", "clusters/hub/edge.yaml"), &served});
  ASSERT_EQ(r.result.pipelines.size(), 1u) << r.diagnostics();
  const auto& p = r.result.pipelines[0];
  EXPECT_EQ(to_json(p.sink), R"({"prune":true,"context":"edge-1"})");
  EXPECT_EQ(stages(p), (std::vector<std::string>{"auto", "flux", "helmrelease"}))
      << "no flux-status: its status lives in this cluster, its objects in edge-1";
  EXPECT_TRUE(mentions(r.diagnostics(), "edge.yaml:1: info: spec.kubeConfig.secretRef: the Secret 'edge-1' is not read; the "
                                        "pipeline applies to the context 'edge-1' of its parent's kubeconfig"))
      << r.diagnostics();
  EXPECT_TRUE(mentions(r.diagnostics(), "edge.yaml:1: info: its status is not written")) << r.diagnostics();
}

TEST(FluxRenderer, APlainFolderPassesThroughUntouched) {
  auto input = objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", "apps/a.yaml");
  auto r = flux(input);
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), std::vector<std::string>{"ConfigMap/a"});
  EXPECT_TRUE(r.result.pipelines.empty());
}

TEST(FluxRenderer, WhereTheClusterServesKustomizationsEachChainEndsWithTheStatusStage) {
  ClusterInfo served;
  served.api_versions = {"v1", "v1/ConfigMap", "kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1/Kustomization"};
  TempDir root;
  auto r = render({"flux", "{}", root.path(), "clusters/staging", staging_cluster(), &served});
  ASSERT_EQ(r.result.pipelines.size(), 3u) << r.diagnostics();
  const auto& apps = declared(r, "apps");
  // Last, after helmrelease: the status is written only once everything else of the pipeline was applied.
  EXPECT_EQ(stages(apps), (std::vector<std::string>{"auto", "overlay", "substitute", "flux", "helmrelease", "flux-status"}));
  EXPECT_EQ(to_json(stage_config(apps, "flux-status")),
            R"({"name":"apps","namespace":"flux-system","apiVersion":"kustomize.toolkit.fluxcd.io/v1"})");
  // The same object is where the kube sink writes a failed run's Ready=False.
  EXPECT_EQ(to_json(*apps.sink.find("statusObject")),
            R"({"apiVersion":"kustomize.toolkit.fluxcd.io/v1","kind":"Kustomization","namespace":"flux-system","name":"apps"})");
  EXPECT_FALSE(mentions(r.diagnostics(), "status")) << r.diagnostics();

  // A cluster without Flux's CRD: no status stage, and one line saying so for the whole render.
  ClusterInfo plain;
  plain.api_versions = {"v1", "v1/ConfigMap"};
  auto without = render({"flux", "{}", root.path(), "clusters/staging", staging_cluster(), &plain});
  ASSERT_EQ(without.result.pipelines.size(), 3u) << without.diagnostics();
  EXPECT_EQ(stages(declared(without, "apps")), (std::vector<std::string>{"auto", "overlay", "substitute", "flux", "helmrelease"}));
  EXPECT_EQ(declared(without, "apps").sink.find("statusObject"), nullptr);
  EXPECT_TRUE(mentions(without.diagnostics(), "clusters/staging/flux-system/gotk-sync.yaml:10: info: the cluster serves no "
                                              "Kustomization kind of kustomize.toolkit.fluxcd.io: the status of the 3 "
                                              "Kustomization(s) declaring pipelines here is not written"))
      << without.diagnostics();
  // No cluster known (driftless render, a dir sink): nothing to write, nothing said.
  EXPECT_FALSE(mentions(flux(staging_cluster()).diagnostics(), "status")) << flux(staging_cluster()).diagnostics();
}

namespace {

// An ArtifactGenerator over Flux bootstrap's GitRepository (the pipeline's own repository), with `artifacts`.
std::string generator(const std::string& artifacts, const std::string& extra_sources = "") {
  return "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata: {name: flux-system, "
         "namespace: flux-system}\nspec:\n  sources:\n    - {alias: monorepo, kind: GitRepository, name: flux-system}\n" +
         extra_sources + "  artifacts:\n" + artifacts;
}

std::string over_artifact(const std::string& name, const std::string& artifact, const std::string& path) {
  return "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: " + name +
         ", namespace: flux-system}\nspec: {interval: 1h, prune: true, path: " + path +
         ", sourceRef: {kind: ExternalArtifact, name: " + artifact + "}}\n";
}

// The folders of the flux2-kustomize-helm-example repository, as files below `root`.
void write_example_tree(const std::filesystem::path& root) {
  for (const char* file : {"infrastructure/controllers/kustomization.yaml", "infrastructure/controllers/cert-manager.yaml",
                           "infrastructure/configs/cluster-issuers.yaml", "apps/base/podinfo/kustomization.yaml",
                           "apps/staging/kustomization.yaml", "apps/staging/podinfo-values.yaml",
                           "apps/production/kustomization.yaml"})
    write_file(root / file, "# a manifest\n");
  write_file(root / "apps/staging/README.md", "not a manifest\n");
}

}  // namespace

TEST(FluxRenderer, AnExternalArtifactOfAnArtifactGeneratorOverTheOwnRepositoryIsRenderedFromItsFolderInPlace) {
  TempDir root;
  write_example_tree(root.path());
  const std::string yaml =
      generator("    - name: infrastructure\n      originRevision: \"@monorepo\"\n      copy:\n"
                "        - {from: \"@monorepo/infrastructure/**\", to: \"@artifact/\"}\n"
                "    - name: apps\n      originRevision: \"@monorepo\"\n      copy:\n"
                "        - {from: \"@monorepo/apps/base/**\", to: \"@artifact/base/\"}\n"
                "        - {from: \"@monorepo/apps/staging/**\", to: \"@artifact/staging/\", exclude: [\"*.md\"]}\n"
                "    - name: issuers\n      copy:\n"
                "        - {from: \"@monorepo/infrastructure/configs/*.yaml\", to: \"@artifact/configs/\"}\n") +
      over_artifact("infra-controllers", "infrastructure", "./controllers") +
      over_artifact("infra-configs", "infrastructure", "configs/") + over_artifact("apps", "apps", "./staging") +
      over_artifact("issuers", "issuers", "./configs");
  auto r = render({"flux", "{}", root.path(), "clusters/staging", objects(kSync + std::string("---\n") + yaml,
                                                                          "clusters/staging/artifacts.yaml"), nullptr});
  ASSERT_FALSE(has_errors(r.result.diagnostics)) << r.diagnostics();
  EXPECT_EQ(declared(r, "infra-controllers").path, "infrastructure/controllers");
  EXPECT_EQ(declared(r, "infra-configs").path, "infrastructure/configs");
  // ../base of apps/staging's kustomization resolves to apps/base, as base/ beside staging/ in the artifact.
  EXPECT_EQ(declared(r, "apps").path, "apps/staging");
  EXPECT_EQ(declared(r, "issuers").path, "infrastructure/configs");
  // The generator and the GitRepository it reads are work for driftless: not applied, not "read by nothing".
  EXPECT_TRUE(r.ids().empty()) << r.diagnostics();
  EXPECT_FALSE(mentions(r.diagnostics(), "read by no Kustomization")) << r.diagnostics();
}

TEST(FluxRenderer, AnArtifactDriftlessCannotRenderInPlaceIsAnErrorNamingTheCopyOrTheFilesLeftOut) {
  TempDir root;
  write_example_tree(root.path());
  write_file(root.path() / "apps/staging/extra.yaml", "# a manifest\n");
  const std::string yaml =
      generator("    - name: moved\n      copy:\n"
                "        - {from: \"@monorepo/apps/base/**\", to: \"@artifact/base/\"}\n"
                "        - {from: \"@monorepo/infrastructure/configs/**\", to: \"@artifact/configs/\"}\n"
                "    - name: merged\n      copy:\n"
                "        - {from: \"@monorepo/apps/staging/**\", to: \"@artifact/\", strategy: Merge}\n"
                "    - name: foreign\n      copy:\n        - {from: \"@chart/**\", to: \"@artifact/\"}\n"
                "    - name: renamed\n      copy:\n"
                "        - {from: \"@monorepo/apps/staging/podinfo-values.yaml\", to: \"@artifact/values.yaml\"}\n"
                "    - name: partial\n      copy:\n"
                "        - {from: \"@monorepo/apps/staging/**\", to: \"@artifact/\", exclude: [extra.yaml]}\n",
                "    - {alias: chart, kind: OCIRepository, name: podinfo}\n") +
      over_artifact("moved", "moved", "./base") + over_artifact("merged", "merged", "./") +
      over_artifact("foreign", "foreign", "./") + over_artifact("renamed", "renamed", "./") +
      over_artifact("partial", "partial", "./") + over_artifact("nowhere", "absent", "./") +
      over_artifact("outside", "partial", "./missing");
  auto r = render({"flux", "{}", root.path(), "clusters/staging", objects(yaml, "clusters/staging/artifacts.yaml"), nullptr});
  const std::string d = r.diagnostics();
  EXPECT_TRUE(r.result.pipelines.empty()) << d;
  EXPECT_TRUE(mentions(d, "error: spec.sourceRef ExternalArtifact/flux-system/moved of ArtifactGenerator/flux-system/flux-system: "
                          "copy from '@monorepo/infrastructure/configs/**' to '@artifact/configs/': puts "
                          "'infrastructure/configs' at 'configs' of the artifact, which moves it relative to the other "
                          "copied folders"))
      << d;
  EXPECT_TRUE(mentions(d, "'@artifact/': strategy Merge is not supported (only Overwrite)")) << d;
  EXPECT_TRUE(mentions(d, "@chart is OCIRepository/flux-system/podinfo, not the repository this pipeline reads")) << d;
  EXPECT_TRUE(mentions(d, "to '@artifact/values.yaml': renames the file")) << d;
  EXPECT_TRUE(mentions(d, "ExternalArtifact/flux-system/partial of ArtifactGenerator/flux-system/flux-system leaves out "
                          "apps/staging/extra.yaml, which driftless would render: it renders the repository folder "
                          "'apps/staging' in place"))
      << d;
  EXPECT_TRUE(mentions(d, "no ArtifactGenerator of this render generates ExternalArtifact/flux-system/absent")) << d;
  EXPECT_TRUE(mentions(d, "'missing' is not a folder of ExternalArtifact/flux-system/partial (the repository has no "
                          "folder 'apps/staging/missing')"))
      << d;
}
