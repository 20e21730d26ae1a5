// Reading HelmRelease objects and merging their values, without a cluster:
// release names as Flux v1 and v2 make them, warnings for fields driftless does
// not support, errors naming file and line, Flux's values order.
#include <gtest/gtest.h>

#include "driftless/toolkit/yaml.hpp"
#include "release_spec.hpp"
#include "release_status.hpp"
#include "values.hpp"

using namespace driftless;
using namespace driftless::helmrelease;

namespace {

// The objects of one YAML stream, indexed as the renderer indexes them.
struct Render {
  explicit Render(const std::string& yaml) {
    for (auto& doc : parse_yaml(yaml, "fleet/app.yaml").documents)
      objects.push_back(KubeObject{std::move(doc.value), Provenance{"fleet/app.yaml", doc.index, doc.line}});
    for (const auto& o : objects)
      index[o.kind() + "/" + (o.namespace_name().empty() ? "default" : o.namespace_name()) + "/" + o.name()] = &o;
  }
  const KubeObject& release() const {
    for (const auto& o : objects)
      if (is_helm_release(o)) return o;
    throw std::logic_error("no HelmRelease");
  }
  std::vector<KubeObject> objects;
  RenderIndex index;
};

const char* kRepository =
    "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: apps}\n"
    "spec: {url: 'https://charts.example/'}\n---\n";

std::string v2(const std::string& spec_extra) {
  return std::string(kRepository) +
         "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
         "  chart:\n    spec: {chart: web, version: '^1.2', sourceRef: {kind: HelmRepository, name: charts}}\n" + spec_extra;
}

Result<std::string> no_chart_files(const std::string& path) { return fail(ErrorCode::not_found, "no file " + path); }

// A cluster without any ConfigMap or Secret.
Result<KubeObject> empty_cluster(const std::string& kind, const std::string& ns, const std::string& name) {
  return fail(ErrorCode::not_found, kind + " " + ns + "/" + name + " does not exist");
}

// A chart holding values-prod.yaml and values-eu.yaml.
Result<std::string> chart_files(const std::string& path) {
  if (path == "values-prod.yaml") return std::string("color: prod\nreplicas: 3\nregion: none\n");
  if (path == "values-eu.yaml") return std::string("region: eu\n");
  return no_chart_files(path);
}

bool mentions(const std::vector<Diagnostic>& ds, Severity severity, const std::string& text) {
  for (const auto& d : ds)
    if (d.severity == severity && d.message.find(text) != std::string::npos) return true;
  return false;
}

TEST(ReadRelease, FluxV2DefaultsNamesAndChartSource) {
  Render render(v2("  targetNamespace: web-prod\n  install: {createNamespace: true, crds: Skip}\n"
                   "  upgrade: {remediation: {retries: 2}, disableWait: true}\n  timeout: 2m30s\n"));
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec) << (out.empty() ? "" : format(out.front()));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(spec->release.name, "web-prod-web");
  EXPECT_EQ(spec->release.namespace_name, "web-prod");
  EXPECT_EQ(spec->chart.url, "https://charts.example/");
  EXPECT_EQ(spec->chart.version, "^1.2");
  EXPECT_TRUE(spec->release.create_namespace);
  EXPECT_TRUE(spec->release.install.skip_crds);
  EXPECT_FALSE(spec->release.install.remediate);
  EXPECT_TRUE(spec->release.upgrade.remediate);
  EXPECT_FALSE(spec->release.upgrade.wait);
  EXPECT_EQ(spec->release.install.timeout, std::chrono::seconds(150));
}

// Flux 2.6's install/upgrade strategy, as flux2-kustomize-helm-example writes it.
TEST(ReadRelease, RetryOnFailureMeansNoRemediationAndAnUnknownStrategyIsAnError) {
  Render retry(v2("  install: {strategy: {name: RetryOnFailure}, remediation: {retries: 3}}\n"
                  "  upgrade:\n    strategy: {name: RetryOnFailure, retryInterval: 2m}\n    remediation: {retries: 3}\n"));
  std::vector<Diagnostic> out;
  auto spec = read_release(retry.release(), retry.index, out);
  ASSERT_TRUE(spec);
  EXPECT_FALSE(spec->release.install.remediate);
  EXPECT_FALSE(spec->release.upgrade.remediate);
  EXPECT_FALSE(mentions(out, Severity::warning, "strategy"));
  EXPECT_TRUE(mentions(out, Severity::info, "spec.upgrade.strategy.retryInterval is not used"));

  Render remediate(v2("  upgrade: {strategy: {name: RemediateOnFailure}, remediation: {retries: 3}}\n"));
  out.clear();
  spec = read_release(remediate.release(), remediate.index, out);
  ASSERT_TRUE(spec);
  EXPECT_TRUE(spec->release.upgrade.remediate);
  EXPECT_TRUE(out.empty());

  Render unknown(v2("  install: {strategy: {name: RollForward}}\n"));
  out.clear();
  EXPECT_FALSE(read_release(unknown.release(), unknown.index, out));
  EXPECT_TRUE(mentions(out, Severity::error,
                       "spec.install.strategy.name 'RollForward' is not one of RemediateOnFailure, RetryOnFailure"));
}

TEST(ReadRelease, LongV2NamesAreShortenedLikeFlux) {
  Render render(v2("  targetNamespace: a-very-long-target-namespace-name-for-testing-purposes\n"));
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->release.name.size(), 53u);
  EXPECT_EQ(spec->release.name.substr(0, 41), "a-very-long-target-namespace-name-for-te-");
}

TEST(ReadRelease, FluxV1NamesFollowTheHelmOperator) {
  Render render("apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                "  targetNamespace: prod\n  chart: {repository: 'https://charts.example/', name: web, version: 1.2.3}\n"
                "  rollback: {enable: true, maxRetries: 3}\n");
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->release.name, "prod-apps-web");
  EXPECT_EQ(spec->release.max_history, 10);
  EXPECT_TRUE(spec->release.upgrade.remediate);
  EXPECT_TRUE(spec->release.upgrade.wait);
  EXPECT_TRUE(mentions(out, Severity::warning, "maxRetries"));
}

TEST(ReadRelease, UnsupportedFieldsWarnAndDangerousOnesFailWithFileAndLine) {
  Render render(v2("  serviceAccountName: deployer\n  postRenderers: [{kustomize: {}}]\n"));
  std::vector<Diagnostic> out;
  EXPECT_FALSE(read_release(render.release(), render.index, out));
  EXPECT_TRUE(mentions(out, Severity::warning, "spec.serviceAccountName is not supported"));
  EXPECT_TRUE(mentions(out, Severity::error, "spec.postRenderers is not supported"));
  for (const auto& d : out) {
    EXPECT_EQ(d.file, "fleet/app.yaml");
    EXPECT_EQ(d.line, 6);  // the HelmRelease document starts after the HelmRepository
    EXPECT_EQ(d.object, "HelmRelease/apps/web");
  }
}

TEST(ReadRelease, EveryUnsupportedFieldAtAnyDepthIsAWarningNamingIt) {
  Render render(std::string(kRepository) +
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                "  chart:\n    spec: {chart: web, verify: {provider: cosign}, sourceRef: {kind: HelmRepository, name: charts}}\n"
                "  install: {replace: true, remediation: {retries: 1, remediateLastFailure: true, tries: 3}}\n"
                "  upgrade: {preserveValues: true}\n  uninstall: {disableHooks: true}\n"
                "  valuesFrom: [{kind: ConfigMap, name: base, selector: x, optional: true}]\n  commonMetadata: {labels: {a: b}}\n");
  std::vector<Diagnostic> out;
  ASSERT_TRUE(read_release(render.release(), render.index, out));
  for (const char* field : {"spec.chart.spec.verify", "spec.install.replace", "spec.install.remediation.tries",
                            "spec.upgrade.preserveValues", "spec.uninstall.disableHooks", "spec.valuesFrom[0].selector",
                            "spec.commonMetadata"})
    EXPECT_TRUE(mentions(out, Severity::warning, std::string(field) + " is not supported by driftless")) << field;
}

TEST(ReadRelease, ABadDurationIsAnErrorNotACrash) {
  Render render(v2("  timeout: .m\n"));
  std::vector<Diagnostic> out;
  EXPECT_FALSE(read_release(render.release(), render.index, out));
  EXPECT_TRUE(mentions(out, Severity::error, "spec.timeout: '.m' is not a duration"));
}

TEST(ReadRelease, ASourceMissingFromTheRenderIsAnError) {
  Render render("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                "  chart:\n    spec: {chart: web, sourceRef: {kind: HelmRepository, name: charts}}\n");
  std::vector<Diagnostic> out;
  EXPECT_FALSE(read_release(render.release(), render.index, out));
  EXPECT_TRUE(mentions(out, Severity::error, "HelmRepository apps/charts is not in this render"));
}

// Repository content names network locations only: never a file:// URL or a
// path of the driftless host, for every kind of chart source.
TEST(ReadRelease, SourceUrlsThatNameTheHostsDiskAreRefused) {
  auto v2_git = [](const std::string& url) {
    return "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: charts, namespace: apps}\n"
           "spec: {url: '" + url + "', ref: {branch: main}}\n---\n"
           "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
           "  chart:\n    spec: {chart: ./web, sourceRef: {kind: GitRepository, name: charts}}\n";
  };
  auto v1_git = [](const std::string& url) {
    return "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
           "  chart: {git: '" + url + "', path: charts/web}\n";
  };
  auto v1_repository = [](const std::string& url) {
    return "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
           "  chart: {repository: '" + url + "', name: web, version: 1.0.0}\n";
  };
  auto helm_repository = [](const std::string& url) {
    return "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: apps}\n"
           "spec: {url: '" + url + "'}\n---\n"
           "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
           "  chart:\n    spec: {chart: web, sourceRef: {kind: HelmRepository, name: charts}}\n";
  };
  struct Case {
    std::string yaml;
    std::string error;  // "" = accepted
    std::string object;
  };
  const std::vector<Case> cases{
      {v2_git("file:///srv/charts"), "spec.url 'file:///srv/charts' is not an http://, https://, ssh:// or git:// URL", "GitRepository/apps/charts"},
      {v2_git("/srv/charts"), "spec.url '/srv/charts' is not an http://, https://, ssh:// or git:// URL", "GitRepository/apps/charts"},
      {v2_git("git@github.com:acme/charts"), "is not an http://, https://, ssh:// or git:// URL: repository content", "GitRepository/apps/charts"},
      {v2_git("ssh://git@github.com/acme/charts"), "", ""},
      {v2_git("https://github.com/acme/charts"), "", ""},
      {v2_git("git://git.example/charts"), "", ""},
      {v1_git("file:///srv/charts"), "spec.chart.git 'file:///srv/charts' is not an http://, https://, ssh:// or git:// URL (or user@host:path)",
       "HelmRelease/apps/web"},
      {v1_git("../../srv/charts"), "spec.chart.git '../../srv/charts' is not", "HelmRelease/apps/web"},
      {v1_git("git@github.com:acme/charts"), "", ""},
      {v1_repository("file:///srv/charts"), "spec.chart.repository 'file:///srv/charts' must be an http://, https:// or oci:// URL",
       "HelmRelease/apps/web"},
      {helm_repository("file:///srv/charts"), "spec.url must be an http:// or https:// chart repository URL", "HelmRepository/apps/charts"},
  };
  for (const auto& c : cases) {
    Render render(c.yaml);
    std::vector<Diagnostic> out;
    auto spec = read_release(render.release(), render.index, out);
    if (c.error.empty()) {
      EXPECT_TRUE(spec) << c.yaml;
      continue;
    }
    EXPECT_FALSE(spec) << c.yaml;
    ASSERT_TRUE(mentions(out, Severity::error, c.error)) << c.yaml << (out.empty() ? "" : out.front().message);
    for (const auto& d : out)
      if (d.message.find(c.error) != std::string::npos) {
        EXPECT_EQ(d.file, "fleet/app.yaml");
        EXPECT_EQ(d.object, c.object);
      }
  }
}

std::string oci_release(const std::string& source) {
  return source + "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                  "  chartRef: {kind: OCIRepository, name: web}\n";
}

TEST(ReadRelease, OciSourcesGiveTheChartReferencePlainHttpOnlyOnLoopbackAndDockerCredentials) {
  Render render(oci_release(
      "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: web, namespace: apps}\n"
      "spec: {url: 'oci://127.0.0.1:5000/charts/web', insecure: true, ref: {semver: '>=1.0'}, secretRef: {name: pull}}\n---\n"
      "apiVersion: v1\nkind: Secret\nmetadata: {name: pull, namespace: apps}\ntype: kubernetes.io/dockerconfigjson\n"
      "stringData: {.dockerconfigjson: '{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"dXNlcjpwYXNz\"}}}'}\n"));
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec) << (out.empty() ? "" : format(out.front()));
  EXPECT_EQ(spec->chart.kind, ChartRequest::Kind::oci);
  EXPECT_EQ(spec->chart.url, "oci://127.0.0.1:5000/charts/web");
  EXPECT_EQ(spec->chart.chart, "web");
  EXPECT_EQ(spec->chart.version, ">=1.0");
  EXPECT_TRUE(spec->chart.plain_http);
  EXPECT_EQ(spec->chart.username, "user");
  EXPECT_EQ(spec->chart.password, "pass");

  Render remote(oci_release("apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: web, namespace: apps}\n"
                            "spec: {url: 'oci://127.evil.example:80/web', insecure: true, ref: {digest: 'sha256:00'}}\n"));
  out.clear();
  EXPECT_FALSE(read_release(remote.release(), remote.index, out));
  EXPECT_TRUE(mentions(out, Severity::error, "plain HTTP only to a registry on this machine"));
  EXPECT_TRUE(mentions(out, Severity::error, "spec.ref.digest is not supported"));
}

TEST(ReadRelease, OciHelmRepositoriesAndFluxV1OciCharts) {
  Render v2_oci("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: apps}\n"
                "spec: {type: oci, url: 'oci://ghcr.io/org/charts/'}\n---\n"
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                "  chart:\n    spec: {chart: web, version: 1.2.3, sourceRef: {kind: HelmRepository, name: charts}}\n");
  std::vector<Diagnostic> out;
  auto spec = read_release(v2_oci.release(), v2_oci.index, out);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->chart.url, "oci://ghcr.io/org/charts/web");
  EXPECT_FALSE(spec->chart.plain_http);
  EXPECT_EQ(spec->chart.refresh.count(), 0);  // an exact version is not looked up again

  Render v1("apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
            "  chart: {repository: 'oci://localhost:5000/charts', name: web, version: 1.0.0}\n");
  ReadOptions options;
  options.plain_http_registries = {"localhost:5000"};
  spec = read_release(v1.release(), v1.index, out, options);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->chart.kind, ChartRequest::Kind::oci);
  EXPECT_EQ(spec->chart.url, "oci://localhost:5000/charts/web");
  EXPECT_TRUE(spec->chart.plain_http);
  spec = read_release(v1.release(), v1.index, out);
  ASSERT_TRUE(spec);
  EXPECT_FALSE(spec->chart.plain_http);

  Render helm_chart("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                    "  chartRef: {kind: HelmChart, name: web}\n");
  EXPECT_FALSE(read_release(helm_chart.release(), helm_chart.index, out));
  EXPECT_TRUE(mentions(out, Severity::error, "spec.chartRef.kind 'HelmChart' is not supported"));
}

TEST(MergeValues, FluxOrderTargetPathsAndSecretsRemembered) {
  Render render(v2("  valuesFrom:\n"
                   "    - {kind: ConfigMap, name: base}\n"
                   "    - {kind: Secret, name: creds, valuesKey: password, targetPath: db.password}\n"
                   "    - {kind: ConfigMap, name: base, valuesKey: replicas, targetPath: 'scale\\.count'}\n"
                   "    - {kind: ConfigMap, name: gone, optional: true}\n"
                   "  values: {color: inline, nested: {b: 2}}\n") +
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: base, namespace: apps}\n"
                "data:\n  values.yaml: |\n    color: base\n    nested: {a: 1, b: 1}\n    list: [1, 2]\n  replicas: '3'\n"
                "---\napiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: apps}\ndata: {password: aHVudGVyMg==}\n");
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec);
  Release release;
  const bool merged = merge_values(render.release(), *spec, render.index, no_chart_files, empty_cluster, release, out);
  for (const auto& d : out) ADD_FAILURE() << format(d);
  ASSERT_TRUE(merged);
  EXPECT_EQ(to_json(release.values),
            R"({"color":"inline","nested":{"a":1,"b":2},"list":[1,2],"db":{"password":"hunter2"},"scale.count":3})");
  ASSERT_EQ(release.secret_texts.size(), 1u);
  EXPECT_EQ(release.secret_texts[0], "hunter2");
}

TEST(MergeValues, ChartValuesFilesGoFirstInV2AndChartFileRefsInOrderInV1) {
  Render render(std::string(kRepository) +
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                "  chart:\n    spec: {chart: web, sourceRef: {kind: HelmRepository, name: charts},"
                " valuesFiles: [values-prod.yaml, values-eu.yaml]}\n"
                "  valuesFrom:\n    - {kind: ConfigMap, name: base}\n  values: {color: inline}\n---\n"
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base, namespace: apps}\ndata:\n  values.yaml: 'replicas: 5'\n");
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec) << (out.empty() ? "" : format(out.front()));
  EXPECT_TRUE(out.empty());
  Release release;
  ASSERT_TRUE(merge_values(render.release(), *spec, render.index, chart_files, empty_cluster, release, out));
  EXPECT_EQ(to_json(release.values), R"({"color":"inline","replicas":5,"region":"eu"})");

  Render v1("apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
            "  chart: {repository: 'https://charts.example/', name: web, version: 1.0.0}\n  valuesFrom:\n"
            "    - chartFileRef: {path: values-eu.yaml}\n    - chartFileRef: {path: values-prod.yaml}\n"
            "    - chartFileRef: {path: values-missing.yaml, optional: true}\n");
  spec = read_release(v1.release(), v1.index, out);
  ASSERT_TRUE(spec);
  Release legacy;
  ASSERT_TRUE(merge_values(v1.release(), *spec, v1.index, chart_files, empty_cluster, legacy, out));
  EXPECT_EQ(to_json(legacy.values), R"({"region":"none","color":"prod","replicas":3})");

  Render missing("apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n"
                 "  chart: {repository: 'https://charts.example/', name: web, version: 1.0.0}\n  valuesFrom:\n"
                 "    - chartFileRef: {path: values-missing.yaml}\n");
  spec = read_release(missing.release(), missing.index, out);
  ASSERT_TRUE(spec);
  Release absent;
  EXPECT_FALSE(merge_values(missing.release(), *spec, missing.index, chart_files, empty_cluster, absent, out));
  EXPECT_TRUE(mentions(out, Severity::error, "spec.valuesFrom[0]: no file values-missing.yaml"));
}

TEST(MergeValues, AMissingRequiredSourceOrKeyIsAnError) {
  Render render(v2("  valuesFrom:\n    - {kind: Secret, name: absent}\n    - {kind: ConfigMap, name: base, valuesKey: nope}\n") +
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: base, namespace: apps}\ndata: {x: z}\n");
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec);
  Release release;
  EXPECT_FALSE(merge_values(render.release(), *spec, render.index, no_chart_files, empty_cluster, release, out));
  EXPECT_TRUE(mentions(out, Severity::error, "Secret apps/absent is neither in this render nor in the cluster"));
  EXPECT_TRUE(mentions(out, Severity::error, "has no key 'nope'"));
}

TEST(MergeValues, WhatTheRenderLacksIsReadFromTheClusterAndAClusterErrorIsAnError) {
  Render render(v2("  valuesFrom:\n    - {kind: Secret, name: creds, valuesKey: password, targetPath: db.password}\n"
                   "    - {kind: ConfigMap, name: base}\n") +
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: base, namespace: apps}\ndata:\n  values.yaml: 'color: git'\n");
  std::vector<std::string> asked;
  ClusterObjectReader cluster = [&](const std::string& kind, const std::string& ns, const std::string& name) -> Result<KubeObject> {
    asked.push_back(kind + "/" + ns + "/" + name);
    if (kind == "Secret" && name == "creds")
      return KubeObject{*parse_json(R"({"kind":"Secret","data":{"password":"aHVudGVyMg=="}})"), {}};
    return fail(ErrorCode::not_found, "absent");
  };
  std::vector<Diagnostic> out;
  auto spec = read_release(render.release(), render.index, out);
  ASSERT_TRUE(spec);
  Release release;
  ASSERT_TRUE(merge_values(render.release(), *spec, render.index, no_chart_files, cluster, release, out));
  EXPECT_EQ(to_json(release.values), R"({"db":{"password":"hunter2"},"color":"git"})");
  EXPECT_EQ(asked, std::vector<std::string>{"Secret/apps/creds"});  // the render's ConfigMap wins: no request
  ASSERT_EQ(release.secret_texts.size(), 1u);

  ClusterObjectReader forbidden = [](const std::string&, const std::string&, const std::string&) -> Result<KubeObject> {
    return fail(ErrorCode::unauthorized, "secrets \"creds\" is forbidden");
  };
  Release refused;
  EXPECT_FALSE(merge_values(render.release(), *spec, render.index, no_chart_files, forbidden, refused, out));
  EXPECT_TRUE(mentions(out, Severity::error, "reading Secret apps/creds from the cluster: secrets \"creds\" is forbidden"));
}

TEST(ReleaseStatus, FluxV2GetsReadyAndHistoryAndV1TheHelmOperatorsFields) {
  Release release;
  release.api_version = "helm.toolkit.fluxcd.io/v2";
  release.name = "web";
  release.namespace_name = "apps";
  release.chart = ResolvedChart{{}, "web", "1.2.0", "abc"};
  release.digest = "0123";
  StatusItem item{"HelmRelease/apps/web", "deployed", "release apps/web revision 3, chart web-1.2.0", "", {{"revision", "3"}}};
  EXPECT_EQ(to_json(release_status(release, item, "2026-11-30T10:00:00Z")),
            R"({"status":{"conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded",)"
            R"("message":"driftless: release apps/web revision 3, chart web-1.2.0","lastTransitionTime":"2026-11-30T10:00:00Z",)"
            R"("lastUpdateTime":"2026-11-30T10:00:00Z"}],"lastAttemptedRevision":"1.2.0","storageNamespace":"apps",)"
            R"("lastAppliedRevision":"1.2.0","history":[{"name":"web","namespace":"apps","version":3,"status":"deployed",)"
            R"("chartName":"web","chartVersion":"1.2.0","digest":"sha256:0123"}]}})");

  release.api_version = "helm.fluxcd.io/v1";
  item.state = "failed";
  item.error = "helm upgrade of release apps/web failed: boom";
  const Value v1 = release_status(release, item, "2026-11-30T10:00:00Z");
  EXPECT_EQ(v1.at_path({"status", "releaseStatus"})->as_string(), "failed");
  EXPECT_EQ(v1.at_path({"status", "phase"})->as_string(), "Failed");
  EXPECT_EQ(v1.at_path({"status", "releaseName"})->as_string(), "web");
  EXPECT_EQ(v1.at_path({"status", "revision"}), nullptr);
  EXPECT_EQ(v1.at_path({"status", "conditions"})->as_array()[0].string_or("message"), item.error);
}

}  // namespace
