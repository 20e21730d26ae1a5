// The overlay renderer against the reference: each overlay is also built by
// hand, as a kustomization.yaml over the same objects run through the real
// kustomize of tests/env, and the objects must be equal. The fixtures follow
// Flux's example layout (fluxcd/flux2-kustomize-helm-example: apps/base with
// HelmRepository + HelmRelease, per-environment patches) plus a Deployment,
// an Ingress and a ConfigMap of URLs.
#include <gtest/gtest.h>

#include "driftless/toolkit/manifests.hpp"
#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kApps = R"(apiVersion: v1
kind: Namespace
metadata: {name: podinfo}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: podinfo, namespace: podinfo}
spec: {interval: 5m, url: "https://stefanprodan.github.io/podinfo"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: podinfo}
spec:
  interval: 50m
  chart:
    spec: {chart: podinfo, version: ">=6.0.0", sourceRef: {kind: HelmRepository, name: podinfo}}
  values:
    ingress: {enabled: true, className: nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: podinfo, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: "ghcr.io/stefanprodan/podinfo:6.5.0"
        envFrom: [{configMapRef: {name: web-urls}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-urls, namespace: podinfo}
data:
  ACME_SERVER: "https://acme-staging-v02.api.letsencrypt.org/directory"
  BACKEND: "http://backend.podinfo.svc.cluster.local:9898/api?x=1"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: podinfo}
spec:
  ingressClassName: nginx
  rules:
  - host: podinfo.staging
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 9898}}}
)";

// Flux's production overlay of that example, as spec fields.
constexpr const char* kProductionKeys = R"(namePrefix: prod-
nameSuffix: -v2
patches:
- patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: podinfo}
    spec: {replicas: 3}
- patch: |
    - op: replace
      path: /spec/rules/0/host
      value: podinfo.production
  target: {kind: Ingress, name: web}
- patch: |
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: any}
    data: {ACME_SERVER: "https://acme-v02.api.letsencrypt.org/directory"}
  target: {kind: ConfigMap, labelSelector: "", name: "web-.*"}
- patch: |
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata: {name: podinfo, namespace: podinfo}
    spec:
      values:
        ingress:
          hosts: [{host: podinfo.production, paths: [{path: /, pathType: ImplementationSpecific}]}]
images:
- {name: ghcr.io/stefanprodan/podinfo, newTag: 6.7.1}
)";

std::vector<KubeObject> objects_of(const std::string& yaml, const std::string& file) {
  auto parsed = parse_manifests(yaml, file);
  EXPECT_FALSE(has_errors(parsed.diagnostics));
  return std::move(parsed.objects);
}

// `kustomize build` of a kustomization written by hand in `dir`.
std::vector<KubeObject> reference_build(const fs::path& dir) {
  auto built = run({test_env()["KUSTOMIZE"], "build", dir.string()});
  EXPECT_EQ(built.exit_code, 0) << built.err;
  return objects_of(built.out, "reference");
}

// The config block: the kustomize path and `keys` (a YAML mapping's lines).
std::string block(const std::string& keys) { return tool_setting("kustomizePath", "KUSTOMIZE") + "\n" + keys; }

void expect_same_objects(const std::vector<KubeObject>& ours, const std::vector<KubeObject>& reference) {
  ASSERT_EQ(ours.size(), reference.size());
  for (std::size_t i = 0; i < ours.size(); ++i)
    EXPECT_EQ(to_yaml(ours[i].body), to_yaml(reference[i].body)) << "object " << i;
}

}  // namespace

TEST(OverlayRenderer, FluxProductionOverlayEqualsKustomizeBuildingItByHand) {
  TempDir repo;
  TempDir reference;
  write_file(reference / "objects.yaml", kApps);
  write_file(reference / "kustomization.yaml",
             std::string("resources: [objects.yaml]\nnamespace: production\n") + kProductionKeys);
  auto r = render({"overlay", block(std::string("targetNamespace: production\n") + kProductionKeys), repo.path(), "apps/production",
                   objects_of(kApps, "apps/base/podinfo/all.yaml"), nullptr});
  ASSERT_EQ(r.config_error, "");
  ASSERT_EQ(r.diagnostics(), "");
  const auto expected = reference_build(reference.path());
  expect_same_objects(r.result.objects, expected);
  // what the overlay did, to be sure the comparison compared something
  EXPECT_NE(std::find(r.ids().begin(), r.ids().end(), "Deployment/production/prod-web-v2"), r.ids().end());
  // every object keeps the file and line it was read from
  for (const auto& object : r.result.objects) {
    EXPECT_EQ(object.origin.file, "apps/base/podinfo/all.yaml") << object.id();
    EXPECT_GT(object.origin.line, 0) << object.id();
  }
  // kustomize reorders (Namespace first ...): each object is matched to its input
  const auto input = objects_of(kApps, "x");
  for (const auto& object : r.result.objects) {
    auto same = std::find_if(input.begin(), input.end(), [&](const KubeObject& in) { return in.kind() == object.kind(); });
    ASSERT_NE(same, input.end());
    EXPECT_EQ(object.origin.line, same->origin.line) << object.id();
  }
}

TEST(OverlayRenderer, ComponentsOfTheArtifactEqualKustomizeBuildingThemByHand) {
  TempDir repo;
  const std::string component =
      "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [monitor.yaml]\n"
      "patches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web, namespace: podinfo}\n"
      "    spec: {template: {metadata: {annotations: {prometheus.io/scrape: \"true\"}}}}\n";
  const std::string monitor = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-monitor}\ndata: {port: \"9797\"}\n";
  for (const fs::path& root : {repo.path(), repo.path() / "reference"}) {
    write_file(root / "components/monitoring/kustomization.yaml", component);
    write_file(root / "components/monitoring/monitor.yaml", monitor);
  }
  write_file(repo / "reference/apps/production/objects.yaml", kApps);
  write_file(repo / "reference/apps/production/kustomization.yaml",
             "resources: [objects.yaml]\nnamespace: production\ncomponents: [../../components/monitoring]\n");
  auto r = render({"overlay", block("targetNamespace: production\ncomponents: [../../components/monitoring]\n"), repo.path(),
                   "apps/production", objects_of(kApps, "apps/production/all.yaml"), nullptr});
  ASSERT_EQ(r.diagnostics(), "");
  expect_same_objects(r.result.objects, reference_build(repo / "reference/apps/production"));
  auto added = std::find_if(r.result.objects.begin(), r.result.objects.end(),
                            [](const KubeObject& o) { return o.id() == "ConfigMap/production/web-monitor"; });
  ASSERT_NE(added, r.result.objects.end());
  EXPECT_EQ(added->origin.file, "components/monitoring/kustomization.yaml");
  EXPECT_NE(std::find(r.result.read_folders.begin(), r.result.read_folders.end(), "components/monitoring"),
            r.result.read_folders.end());
}

TEST(OverlayRenderer, AComponentOutsideTheArtifactOrRemoteIsRefused) {
  TempDir repo;
  auto out = render({"overlay", block("components: [../../../elsewhere]\n"), repo.path(), "apps/production",
                     objects_of(kApps, "apps/production/all.yaml"), nullptr});
  EXPECT_NE(out.diagnostics().find("overlay: components[0] '../../../elsewhere' leaves the artifact"), std::string::npos)
      << out.diagnostics();
  auto remote = render({"overlay", block("components: ['https://github.com/acme/components//monitoring?ref=v1']\n"), repo.path(),
                        "apps", {}, nullptr});
  EXPECT_NE(remote.config_error.find("must be local and relative"), std::string::npos) << remote.config_error;
  write_file(repo / "components/escape/kustomization.yaml", "kind: Component\nresources: [../../../outside.yaml]\n");
  auto escaping = render({"overlay", block("components: [../components/escape]\n"), repo.path(), "apps",
                          objects_of(kApps, "apps/all.yaml"), nullptr});
  EXPECT_NE(escaping.diagnostics().find("leaves the artifact"), std::string::npos) << escaping.diagnostics();
}

// Flux sets commonMetadata on every object after the build (fluxcd/pkg
// ssa/utils SetCommonMetadata); kustomize's commonLabels would also change
// the selector, which a Deployment cannot change once applied.
TEST(OverlayRenderer, CommonMetadataIsSetOnObjectsOnlyAndNeedsNoKustomize) {
  TempDir repo;
  auto r = render({"overlay", "{kustomizePath: /nonexistent/kustomize, commonMetadata: {labels: {team: web, app: override}, annotations: {owner: ops}}}",
                   repo.path(), "apps", objects_of(kApps, "apps/all.yaml"), nullptr});
  ASSERT_EQ(r.diagnostics(), "");
  const Value& deployment = r.result.objects[3].body;
  EXPECT_EQ(*deployment.at_path({"metadata", "labels", "team"}), Value("web"));
  EXPECT_EQ(*deployment.at_path({"metadata", "labels", "app"}), Value("override"));
  EXPECT_EQ(*deployment.at_path({"metadata", "annotations", "owner"}), Value("ops"));
  EXPECT_EQ(*deployment.at_path({"spec", "selector", "matchLabels", "app"}), Value("web"));
  EXPECT_EQ(deployment.at_path({"spec", "template", "metadata", "labels", "team"}), nullptr);
  EXPECT_EQ(*r.result.objects[0].body.at_path({"metadata", "labels", "team"}), Value("web"));  // the Namespace too
}

TEST(OverlayRenderer, AnEmptyOverlayPassesObjectsThroughWithoutKustomize) {
  TempDir repo;
  auto input = objects_of(kApps, "apps/all.yaml");
  auto r = render({"overlay", "{kustomizePath: /nonexistent/kustomize}", repo.path(), "apps", input, nullptr});
  ASSERT_EQ(r.diagnostics(), "");
  ASSERT_EQ(r.result.objects.size(), input.size());
  for (std::size_t i = 0; i < input.size(); ++i) EXPECT_EQ(r.result.objects[i].body, input[i].body);
}

TEST(OverlayRenderer, BadPatchesAreErrorsNamingThePatch) {
  TempDir repo;
  auto not_yaml = render({"overlay", block("patches: [{patch: 'kind: Deployment'}, {patch: \"a: [b\"}]\n"), repo.path(), "apps", {}, nullptr});
  EXPECT_NE(not_yaml.config_error.find("patches[1].patch is not YAML"), std::string::npos) << not_yaml.config_error;
  auto json_without_target = render({"overlay", block("patches: [{patch: '[{op: remove, path: /spec}]'}]\n"), repo.path(), "apps", {}, nullptr});
  EXPECT_NE(json_without_target.config_error.find("patches[0]: a JSON 6902 patch needs a target"), std::string::npos)
      << json_without_target.config_error;
  auto bad_target = render({"overlay", block("patches: [{patch: 'kind: X', target: {kinds: Deployment}}]\n"), repo.path(), "apps", {}, nullptr});
  EXPECT_NE(bad_target.config_error.find("patches[0].target: 'kinds' is not a selector field"), std::string::npos)
      << bad_target.config_error;
  // kustomize refuses a strategic merge patch for an object that is not there, as under Flux
  write_file(repo / "apps/kustomization.yaml", "resources: []\n");
  auto missing = render({"overlay", block("patches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: absent}\n"),
                         repo.path(), "apps", objects_of(kApps, "apps/all.yaml"), nullptr});
  ASSERT_EQ(missing.result.diagnostics.size(), 1u) << missing.diagnostics();
  EXPECT_EQ(missing.result.diagnostics[0].file, "apps/kustomization.yaml");
  EXPECT_NE(missing.result.diagnostics[0].message.find("overlay: kustomize failed"), std::string::npos) << missing.diagnostics();
  EXPECT_NE(missing.result.diagnostics[0].message.find("absent"), std::string::npos) << missing.diagnostics();
  EXPECT_EQ(missing.result.objects.size(), objects_of(kApps, "x").size());  // left as they were; the error fails the render
}

namespace {

// A folder as real repositories hold it: workloads with quoted images and
// URL annotations, RBAC, scheduling and storage objects, custom resources
// (a HelmRelease, a cert-manager Certificate), an object already placed in
// another namespace, nulls, empty maps, numbers and booleans.
constexpr const char* kWorkloads = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: elsewhere
  labels: {app.kubernetes.io/name: podinfo, app.kubernetes.io/version: "6.5.0"}
  annotations: {prometheus.io/scrape: "true", link.argocd.argoproj.io/docs: "https://github.com/stefanprodan/podinfo?tab=readme"}
  creationTimestamp: null
spec:
  replicas: 2
  revisionHistoryLimit: 5
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0}}
  selector: {matchLabels: {app.kubernetes.io/name: podinfo}}
  template:
    metadata: {labels: {app.kubernetes.io/name: podinfo}, annotations: {}}
    spec:
      serviceAccountName: podinfo
      containers:
      - name: podinfod
        image: "ghcr.io/stefanprodan/podinfo:6.5.0"
        command: [./podinfo, --port=9898, "--level=info", --random-delay=false]
        ports: [{name: http, containerPort: 9898, protocol: TCP}]
        env: [{name: PODINFO_UI_COLOR, value: "#34577c"}, {name: ENABLED, value: "true"}]
        resources: {}
        readinessProbe: {httpGet: {path: /readyz, port: 9898}, initialDelaySeconds: 1, timeoutSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: podinfo}
spec:
  type: ClusterIP
  selector: {app.kubernetes.io/name: podinfo}
  ports: [{name: http, port: 9898, targetPort: http}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: podinfo}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata: {name: podinfo-config}
data:
  config.yaml: |
    backend: http://backend:9898/echo
    retries: 3
  PORT: "9898"
  EMPTY: ""
---
apiVersion: v1
kind: Secret
metadata: {name: podinfo-token}
type: Opaque
stringData: {token: not-a-real-token}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: podinfo
  annotations: {cert-manager.io/cluster-issuer: letsencrypt, nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  ingressClassName: nginx
  tls: [{hosts: [podinfo.example.com], secretName: podinfo-tls}]
  rules:
  - host: podinfo.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: podinfo, port: {number: 9898}}}}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup}
spec:
  schedule: "*/15 * * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: c, image: "busybox:1.36", args: [sh, -c, "echo ok"]}]}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: podinfo}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  minReplicas: 2
  maxReplicas: 4
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 99}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: podinfo}
spec: {minAvailable: 1, selector: {matchLabels: {app.kubernetes.io/name: podinfo}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingress}
spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: podinfo-reader}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: podinfo-metrics}
rules: [{nonResourceURLs: [/metrics], verbs: [get]}]
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: podinfo-high}
value: 1000000
globalDefault: false
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: podinfo-fast}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: redis}
spec:
  interval: 1h
  chart: {spec: {chart: redis, version: "18.x", sourceRef: {kind: HelmRepository, name: bitnami}}}
  values: {architecture: standalone, auth: {enabled: false}, master: {persistence: {size: 1Gi}}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: podinfo}
spec: {secretName: podinfo-tls, dnsNames: [podinfo.example.com], issuerRef: {name: letsencrypt, kind: ClusterIssuer}}
)";

std::vector<KubeObject> sorted_by_id(std::vector<KubeObject> objects) {
  std::sort(objects.begin(), objects.end(), [](const KubeObject& a, const KubeObject& b) {
    return std::make_pair(a.api_version(), a.id()) < std::make_pair(b.api_version(), b.id());
  });
  return objects;
}

// Equal as JSON: kustomize writes keys sorted, the native path keeps their order.
void expect_equal_objects(const std::vector<KubeObject>& ours, const std::vector<KubeObject>& reference) {
  ASSERT_EQ(ours.size(), reference.size());
  for (std::size_t i = 0; i < ours.size(); ++i)
    EXPECT_EQ(ours[i].body, reference[i].body) << "object " << i << "\n" << to_yaml(ours[i].body) << "kustomize:\n" << to_yaml(reference[i].body);
}

// `kustomize build` of `objects` under `namespace: production`, written by hand.
std::vector<KubeObject> reference_namespace(const std::string& objects) {
  TempDir reference;
  write_file(reference / "objects.yaml", objects);
  write_file(reference / "kustomization.yaml", "resources: [objects.yaml]\nnamespace: production\n");
  return sorted_by_id(reference_build(reference.path()));
}

}  // namespace

// targetNamespace alone is what every Kustomization of Flux's layout carries;
// kustomize would only set metadata.namespace, so it is set without running
// kustomize (a path that does not exist), and equals kustomize's build.
TEST(OverlayRenderer, TargetNamespaceAloneEqualsKustomizeWithoutRunningIt) {
  TempDir repo;
  auto r = render({"overlay", "{kustomizePath: /nonexistent/kustomize, targetNamespace: production}", repo.path(), "apps/podinfo",
                   objects_of(kWorkloads, "apps/podinfo/all.yaml"), nullptr});
  ASSERT_EQ(r.config_error, "");
  ASSERT_EQ(r.diagnostics(), "");
  expect_equal_objects(sorted_by_id(r.result.objects), reference_namespace(kWorkloads));
  EXPECT_NE(std::find(r.ids().begin(), r.ids().end(), "Deployment/production/podinfo"), r.ids().end()) << "moved from elsewhere";
  EXPECT_NE(std::find(r.ids().begin(), r.ids().end(), "ClusterRole/podinfo-metrics"), r.ids().end()) << "cluster-scoped kept";
  for (const auto& object : r.result.objects) {
    EXPECT_EQ(object.origin.file, "apps/podinfo/all.yaml") << object.id();
    EXPECT_GT(object.origin.line, 0) << object.id();
  }
}

// Where kustomize writes the namespace into more than metadata.namespace (or
// decides scope or ids in ways of its own), kustomize builds it: without a
// kustomize the render fails, with the real one it equals the hand build.
TEST(OverlayRenderer, TargetNamespaceOfObjectsKustomizeTreatsSpeciallyIsBuiltByKustomize) {
  const std::string service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\n";
  const std::map<std::string, std::string> cases = {
      {"a Namespace (renamed)", "apiVersion: v1\nkind: Namespace\nmetadata: {name: podinfo}\n"},
      {"RoleBinding subjects",
       "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: read}\n"
       "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read}\n"
       "subjects: [{kind: ServiceAccount, name: default, namespace: other}, {kind: ServiceAccount, name: web, namespace: other}]\n"},
      {"ClusterRoleBinding subjects",
       "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: read}\n"
       "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
       "subjects: [{kind: ServiceAccount, name: default, namespace: kube-system}]\n"},
      {"a webhook's service",
       "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: web}\n"
       "webhooks: [{name: web.example.com, admissionReviewVersions: [v1], sideEffects: None,\n"
       "  clientConfig: {service: {name: web, namespace: default, path: /validate}}}]\n"},
      {"the same id twice after the move",
       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: twin, namespace: a}\n---\n"
       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: twin, namespace: b}\n"},
  };
  for (const auto& [what, objects] : cases) {
    SCOPED_TRACE(what);
    TempDir repo;
    const auto input = objects_of(service + objects, "apps/all.yaml");
    auto without = render({"overlay", "{kustomizePath: /nonexistent/kustomize, targetNamespace: production}", repo.path(), "apps",
                           input, nullptr});
    EXPECT_NE(without.diagnostics().find("/nonexistent/kustomize"), std::string::npos) << without.diagnostics();
    auto r = render({"overlay", block("targetNamespace: production\n"), repo.path(), "apps", input, nullptr});
    TempDir reference;
    write_file(reference / "objects.yaml", service + objects);
    write_file(reference / "kustomization.yaml", "resources: [objects.yaml]\nnamespace: production\n");
    auto built = run({test_env()["KUSTOMIZE"], "build", reference.path().string()});
    if (built.exit_code != 0) {
      EXPECT_NE(r.diagnostics().find("kustomize failed"), std::string::npos) << r.diagnostics() << "\nkustomize: " << built.err;
      continue;
    }
    ASSERT_EQ(r.diagnostics(), "");
    expect_equal_objects(sorted_by_id(r.result.objects), sorted_by_id(objects_of(built.out, "reference")));
  }
}
