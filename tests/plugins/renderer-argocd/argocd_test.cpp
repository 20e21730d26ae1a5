// The argocd renderer: Argo CD Applications (in the shape of
// argoproj/argocd-example-apps) become declared pipelines; what driftless
// does not do is a warning or an error naming the field and the object.
#include <gtest/gtest.h>

#include "driftless/toolkit/yaml.hpp"
#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

const char* kRepo = "https://github.com/example/fleet.git";

// The source the parent pipeline renders: its URL and branch, as source-git reports them.
Artifact git_source() {
  Artifact facts;
  facts.revision = "main@sha1:0123456789abcdef0123456789abcdef01234567";
  facts.metadata = {{"url", kRepo}, {"commit", "0123456789abcdef0123456789abcdef01234567"}};
  return facts;
}

// An Application as the app-of-apps chart of argocd-example-apps writes them, with `source` and `policy` appended.
std::string application(const std::string& name, const std::string& source, const std::string& more = "",
                        const std::string& repo = kRepo) {
  return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
         "\n  namespace: argocd\n  finalizers: [resources-finalizer.argocd.argoproj.io]\n" + more +
         "spec:\n  project: default\n  destination:\n    namespace: " + name +
         "\n    server: https://kubernetes.default.svc\n  source:\n    repoURL: " + repo +
         "\n    targetRevision: main\n" + source +
         "  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n    automated: {prune: true, selfHeal: true}\n";
}

// A repository like argocd-example-apps: guestbook (plain), helm-guestbook (a chart), kustomize-guestbook.
void example_apps(const fs::path& repo) {
  write_file(repo / "guestbook/guestbook-ui-svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  write_file(repo / "helm-guestbook/Chart.yaml", "apiVersion: v2\nname: helm-guestbook\nversion: 0.1.0\n");
  write_file(repo / "helm-guestbook/values-production.yaml", "service: {type: LoadBalancer}\n");
  write_file(repo / "kustomize-guestbook/kustomization.yaml", "resources: [guestbook-ui-svc.yaml]\n");
  write_file(repo / "apps/guestbook.yaml", application("guestbook", "    path: guestbook\n"));
  write_file(repo / "apps/helm-guestbook.yaml",
             application("helm-guestbook",
                         "    path: helm-guestbook\n    helm:\n      releaseName: helm-guestbook\n"
                         "      valueFiles: [values-production.yaml]\n      values: |\n        replicaCount: 2\n"
                         "      parameters: [{name: image.tag, value: '0.2'}]\n",
                         "  annotations: {argocd.argoproj.io/sync-wave: \"1\"}\n"));
  write_file(repo / "apps/kustomize-guestbook.yaml",
             application("kustomize-guestbook",
                         "    path: kustomize-guestbook\n    kustomize:\n      namePrefix: staging-\n"
                         "      images: [gcr.io/heptio-images/ks-guestbook-demo:0.2]\n",
                         "  annotations: {argocd.argoproj.io/sync-wave: \"2\"}\n"));
}

Rendered render_apps(const fs::path& repo, const std::string& path = "apps", const std::string& renderer = "argocd") {
  std::vector<KubeObject> input;
  if (renderer == "argocd") input = render({"yaml", "{}", repo, path, {}, nullptr}).result.objects;
  const Artifact facts = git_source();
  return render({renderer, "{}", repo, path, std::move(input), nullptr}, {}, &facts);
}

const DeclaredPipeline& declared(const Rendered& r, const std::string& name) {
  for (const auto& p : r.result.pipelines)
    if (p.name == name) return p;
  throw std::runtime_error("no declared pipeline " + name + "\n" + r.diagnostics());
}

std::string json(const Value& value) { return to_yaml(value); }

std::vector<std::string> types(const DeclaredPipeline& p) {
  std::vector<std::string> out;
  for (const auto& use : p.renderers) out.push_back(use.type);
  return out;
}

// A repository with `apps/app.yaml` holding one guestbook Application whose spec has `source` and `more`.
Rendered render_one(const std::string& source, const std::string& more = "", const std::string& repo_url = kRepo) {
  static TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  write_file(repo / "apps/app.yaml", application("guestbook", source, more, repo_url));
  return render_apps(repo.path());
}

// A chart in `folder` whose one ConfigMap holds, as JSON, the values it was given.
void values_chart(const fs::path& repo, const std::string& folder, const std::string& defaults = "") {
  write_file(repo / folder / "Chart.yaml", "apiVersion: v2\nname: " + folder + "\nversion: 0.1.0\n");
  if (!defaults.empty()) write_file(repo / folder / "values.yaml", defaults);
  write_file(repo / folder / "templates/values.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: values}\ndata: {values: {{ .Values | toJson | quote }}}\n");
}

std::string values_in(const Value& configmap) {
  return to_yaml(parse_yaml(configmap.at_path({"data", "values"})->as_string(), "values").documents.at(0).value);
}

// The two sides of a differential test, as YAML: the values the chart of
// values_chart() was given by a declared pipeline's helm stage `stage`, and by
// `helm template` with `args`.
std::string values_by_stage(const fs::path& repo, const std::string& folder, const PluginUse& stage) {
  Value config = stage.config;
  config.as_object().set("helmPath", test_env()["HELM"]);
  auto ours = render({"helm", to_yaml(config), repo, folder, {}, nullptr});
  return ours.result.objects.size() == 1 ? values_in(ours.result.objects[0].body) : ours.diagnostics();
}

std::string values_by_helm(const fs::path& repo, const std::string& folder, const std::vector<std::string>& args) {
  std::vector<std::string> command{test_env()["HELM"], "template", "r", (repo / folder).string()};
  command.insert(command.end(), args.begin(), args.end());
  auto theirs = run(command, {{"HOME", repo.string()}});
  auto output = parse_yaml(theirs.out, "helm");
  return theirs.exit_code == 0 && output.documents.size() == 1 ? values_in(output.documents[0].value) : theirs.out + theirs.err;
}

}  // namespace

TEST(ArgocdRenderer, AnAppOfAppsDeclaresOnePipelinePerApplicationWithTheToolArgoCdWouldPick) {
  TempDir repo;
  example_apps(repo.path());
  auto r = render_apps(repo.path());
  EXPECT_TRUE(r.result.objects.empty()) << "Applications are taken out of the render";
  ASSERT_EQ(r.result.pipelines.size(), 3u) << r.diagnostics();

  const auto& plain = declared(r, "guestbook");
  EXPECT_EQ(plain.path, "guestbook");
  EXPECT_EQ(types(plain), (std::vector<std::string>{"yaml", "argocd"}));
  EXPECT_EQ(json(plain.renderers[0].config), "exclude:\n- \"*/**\"\n") << "Argo CD reads only the folder's own files";
  EXPECT_EQ(json(plain.sink), "prune: true\ndrift: heal\ncreateNamespaces: true\nnamespace: guestbook\n");
  EXPECT_EQ(plain.declared_by, "Application/argocd/guestbook");
  EXPECT_EQ(plain.origin.file, "apps/guestbook.yaml");
  EXPECT_TRUE(plain.depends_on.empty());

  const auto& chart = declared(r, "helm-guestbook");
  EXPECT_EQ(types(chart), (std::vector<std::string>{"helm", "argocd"}));
  EXPECT_EQ(json(chart.renderers[0].config),
            "releaseName: helm-guestbook\nnamespace: helm-guestbook\nvaluesFiles:\n- helm-guestbook/values-production.yaml\n"
            "values:\n  replicaCount: 2\n  image:\n    tag: \"0.2\"\n");
  EXPECT_EQ(chart.depends_on, (std::vector<std::string>{"guestbook"})) << "wave 1 after wave 0";

  const auto& kustomized = declared(r, "kustomize-guestbook");
  EXPECT_EQ(types(kustomized), (std::vector<std::string>{"kustomize", "overlay", "argocd"}));
  EXPECT_EQ(json(kustomized.renderers[1].config),
            "namePrefix: staging-\nimages:\n- name: gcr.io/heptio-images/ks-guestbook-demo\n  newTag: \"0.2\"\n");
  EXPECT_EQ(kustomized.depends_on, (std::vector<std::string>{"helm-guestbook"})) << "wave 2 after wave 1";

  // Argo CD's cascade-delete finalizer is named: driftless leaves a removed Application's objects in place.
  EXPECT_NE(r.diagnostics().find("apps/guestbook.yaml:1: warning: metadata.finalizers: 'resources-finalizer.argocd.argoproj.io': "
                                 "driftless leaves the objects of a removed Application in place"),
            std::string::npos)
      << r.diagnostics();
}

TEST(ArgocdRenderer, AutoReadsApplicationsToo) {
  TempDir repo;
  example_apps(repo.path());
  auto r = render_apps(repo.path(), "apps", "auto");
  EXPECT_TRUE(r.result.objects.empty());
  EXPECT_EQ(r.result.pipelines.size(), 3u) << r.diagnostics();
}

TEST(ArgocdRenderer, TheParentsRepositoryIsRecognisedInEverySpelling) {
  for (const char* url : {"https://github.com/example/fleet", "https://GitHub.com/example/fleet.git/", "git@github.com:example/fleet.git",
                          "ssh://git@github.com:22/example/fleet.git", "https://user@github.com/example/fleet"}) {
    auto r = render_one("    path: guestbook\n", "", url);
    EXPECT_EQ(r.result.pipelines.size(), 1u) << url << "\n" << r.diagnostics();
  }
}

// Another Git repository is the declared pipeline's own git source; the core
// fetches it only where the configured pipeline allows declared sources.
TEST(ArgocdRenderer, AnApplicationOfAnotherRepositoryReadsItThroughAGitSourceOfItsOwn) {
  const std::vector<std::pair<std::string, std::string>> revisions{
      {"HEAD", "branch: HEAD"},          {"", "branch: HEAD"},
      {"main", "branch: main"},          {"refs/heads/release-1", "branch: release-1"},
      {"refs/tags/prod", "tag: prod"},   {"v1.2.0", "tag: v1.2.0"},
      {"1.x", "semver: 1.x"},            {"0123456789abcdef0123456789abcdef01234567", "commit: 0123456789abcdef0123456789abcdef01234567"},
  };
  for (const auto& [revision, ref] : revisions) {
    auto r = render_one("    path: guestbook\n    targetRevision: \"" + revision + "\"\n", "", "https://github.com/example/other.git");
    ASSERT_EQ(r.result.pipelines.size(), 1u) << revision << "\n" << r.diagnostics();
    const auto& p = r.result.pipelines[0];
    ASSERT_TRUE(p.source.has_value());
    EXPECT_EQ(p.source->type, "git");
    EXPECT_EQ(json(p.source->config), "url: https://github.com/example/other.git\nref:\n  " + ref + "\n") << revision;
    EXPECT_EQ(p.path, "guestbook");
    // Its folder is not at hand: auto picks the tool when it renders, and reads Applications (not Flux objects).
    EXPECT_EQ(types(p), (std::vector<std::string>{"auto"}));
    EXPECT_EQ(json(p.renderers[0].config), "flux: false\n");
    EXPECT_NE(r.diagnostics().find("info: spec.source: the folder of another repository is rendered by auto"), std::string::npos)
        << r.diagnostics();
  }
  // A tool named in the Application is used as it is.
  auto helm = render_one("    path: charts/guestbook\n    helm: {valueFiles: [values-prod.yaml], ignoreMissingValueFiles: true}\n", "",
                         "https://github.com/example/other.git");
  ASSERT_EQ(helm.result.pipelines.size(), 1u) << helm.diagnostics();
  EXPECT_EQ(types(helm.result.pipelines[0]), (std::vector<std::string>{"helm", "argocd"}));
  EXPECT_NE(helm.diagnostics().find("warning: spec.source.helm.valueFiles: 'values-prod.yaml' is read from a source fetched "
                                    "after the Application, so ignoreMissingValueFiles cannot leave it out"),
            std::string::npos)
      << helm.diagnostics();
  // ssh (scp-like too): the URL only; the key comes from the configured pipeline's declaredSourceAuth (the core lends it).
  auto ssh = render_one("    path: guestbook\n", "", "git@github.com:example/other.git");
  ASSERT_EQ(ssh.result.pipelines.size(), 1u) << ssh.diagnostics();
  EXPECT_EQ(json(ssh.result.pipelines[0].source->config), "url: git@github.com:example/other.git\nref:\n  branch: main\n");
  // A path of this machine never.
  auto local = render_one("    path: guestbook\n", "", "/var/lib/driftless/state/mirror");
  EXPECT_TRUE(local.result.pipelines.empty());
  EXPECT_NE(local.diagnostics().find("apps/app.yaml:1: error: spec.source.repoURL: '/var/lib/driftless/state/mirror' is another "
                                     "repository than the pipeline's; driftless fetches one an Application names over https://, "
                                     "http://, git:// or ssh://"),
            std::string::npos)
      << local.diagnostics();
}

// A chart of a Helm repository (http(s)) or of an OCI registry, at the version targetRevision names.
TEST(ArgocdRenderer, AChartApplicationFetchesTheChartAndRendersItWithHelm) {
  auto http = render_one("    chart: ingress-nginx\n    targetRevision: 4.11.3\n    helm:\n      valueFiles: [values-prod.yaml]\n"
                         "      values: |\n        controller: {replicaCount: 2}\n",
                         "", "https://kubernetes.github.io/ingress-nginx");
  ASSERT_EQ(http.result.pipelines.size(), 1u) << http.diagnostics();
  const auto& p = http.result.pipelines[0];
  ASSERT_TRUE(p.source.has_value());
  EXPECT_EQ(p.source->type, "helm-chart");
  EXPECT_EQ(json(p.source->config), "url: https://kubernetes.github.io/ingress-nginx\nchart: ingress-nginx\nversion: 4.11.3\n");
  EXPECT_EQ(p.path, "ingress-nginx") << "the source holds the chart in a folder of its name";
  EXPECT_EQ(types(p), (std::vector<std::string>{"helm", "argocd"}));
  EXPECT_EQ(json(p.renderers[0].config),
            "releaseName: guestbook\nnamespace: guestbook\nvaluesFiles:\n- ingress-nginx/values-prod.yaml\n"
            "values:\n  controller:\n    replicaCount: 2\n")
      << "values files are the chart's, as in Argo CD";

  // An OCI registry, as Argo CD names it (no scheme): the oci source's Helm chart layer; a range follows the highest tag.
  for (const auto& [revision, ref] : std::vector<std::pair<std::string, std::string>>{{"15.0.2", "tag: 15.0.2"}, {"15.x", "semver: 15.x"}}) {
    auto oci = render_one("    chart: nginx\n    targetRevision: " + revision + "\n", "", "registry-1.docker.io/bitnamicharts");
    ASSERT_EQ(oci.result.pipelines.size(), 1u) << oci.diagnostics();
    const auto& o = oci.result.pipelines[0];
    EXPECT_EQ(o.source->type, "oci");
    EXPECT_EQ(json(o.source->config), "url: oci://registry-1.docker.io/bitnamicharts/nginx\nref:\n  " + ref +
                                          "\nlayerSelector:\n  mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n"
                                          "  operation: extract\n");
    EXPECT_EQ(o.path, "nginx");
  }

  const std::vector<std::pair<std::string, std::string>> bad{
      {"    chart: nginx\n    targetRevision: \"\"\n", "spec.source.targetRevision: is required with a chart"},
      {"    chart: ../nginx\n    targetRevision: 1.0.0\n", "spec.source.chart: '../nginx' is not a chart name"},
      {"    chart: nginx\n    targetRevision: 1.0.0\n    kustomize: {namePrefix: a-}\n",
       "spec.source: a chart is rendered with helm; kustomize and directory do not apply to it"},
  };
  for (const auto& [source, expected] : bad) {
    auto r = render_one(source, "", "https://charts.example.com");
    EXPECT_TRUE(r.result.pipelines.empty()) << source;
    EXPECT_NE(r.diagnostics().find("apps/app.yaml:1: error: " + expected), std::string::npos) << source << r.diagnostics();
  }
}

TEST(ArgocdRenderer, AnotherRevisionIsAWarningAndTheParentsIsUsed) {
  auto tag = render_one("    path: guestbook\n    targetRevision: v1.2.0\n");
  EXPECT_EQ(tag.result.pipelines.size(), 1u);
  EXPECT_NE(tag.diagnostics().find("warning: spec.source.targetRevision: 'v1.2.0' is not what the pipeline tracks; its revision "
                                   "main@sha1:0123456789abcdef0123456789abcdef01234567 is used"),
            std::string::npos)
      << tag.diagnostics();
  for (const char* same : {"HEAD", "refs/heads/main", "0123456789abc"}) {
    auto r = render_one(std::string("    path: guestbook\n    targetRevision: ") + same + "\n");
    EXPECT_EQ(r.diagnostics().find("targetRevision"), std::string::npos) << same << "\n" << r.diagnostics();
  }
}

TEST(ArgocdRenderer, OtherClustersSetsProjectsAndPluginsAreRefusedNamingTheObject) {
  TempDir repo;
  write_file(repo / "apps/remote.yaml",
             "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: remote, namespace: argocd}\nspec:\n"
             "  destination: {server: https://prod-eu.example.com:6443, namespace: web}\n  source: {repoURL: " +
                 std::string(kRepo) + ", path: web}\n");
  write_file(repo / "apps/set.yaml",
             "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: clusters, namespace: argocd}\nspec: {}\n");
  write_file(repo / "apps/projects.yaml",
             "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: default, namespace: argocd}\nspec: {}\n---\n"
             "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: team-a, namespace: argocd}\nspec: {}\n");
  write_file(repo / "apps/rollout.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\n");
  auto r = render_apps(repo.path());
  const std::string d = r.diagnostics();
  EXPECT_TRUE(r.result.pipelines.empty());
  EXPECT_NE(d.find("apps/remote.yaml:1: error: spec.destination.server: 'https://prod-eu.example.com:6443' is not the "
                   "pipeline's own cluster (https://kubernetes.default.svc) nor the server of a cluster the argocd stage's `clusters` "
                   "lists; name another cluster with destination.name"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("apps/set.yaml:1: error: spec.template: is required"), std::string::npos) << d;
  EXPECT_NE(d.find("apps/projects.yaml:1: warning: not applied: driftless has no projects"), std::string::npos) << d;
  EXPECT_NE(d.find("apps/projects.yaml:6: error: AppProject is refused"), std::string::npos) << d;
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"Rollout/web"})) << "Argo Rollouts objects are objects to apply";
}

// Argo CD names clusters in Secrets, which driftless never reads: a
// destination.name is a context of the parent sink's kubeconfig (the kube sink
// allows it only when listed in its declaredContexts).
TEST(ArgocdRenderer, ADestinationNameIsAContextOfTheParentsKubeconfig) {
  TempDir repo;
  write_file(repo / "web/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
  write_file(repo / "apps/edge.yaml",
             "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: edge, namespace: argocd}\nspec:\n"
             "  destination: {name: edge-1, namespace: web}\n  source: {repoURL: " + std::string(kRepo) + ", path: web}\n");
  auto r = render_apps(repo.path());
  ASSERT_EQ(r.result.pipelines.size(), 1u) << r.diagnostics();
  EXPECT_EQ(json(r.result.pipelines[0].sink), "prune: false\ndrift: report\nnamespace: web\ncontext: edge-1\n");
  EXPECT_NE(r.diagnostics().find("apps/edge.yaml:1: info: spec.destination.name: 'edge-1': the Application applies to "
                                 "the context 'edge-1' of its parent's kubeconfig"),
            std::string::npos)
      << r.diagnostics();
  write_file(repo / "apps/edge.yaml",
             "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: edge, namespace: argocd}\nspec:\n"
             "  destination: {name: in-cluster, namespace: web}\n  source: {repoURL: " + std::string(kRepo) + ", path: web}\n");
  auto own = render_apps(repo.path());
  ASSERT_EQ(own.result.pipelines.size(), 1u) << own.diagnostics();
  EXPECT_EQ(own.result.pipelines[0].sink.find("context"), nullptr);
}

TEST(ArgocdRenderer, EveryFieldDriftlessDoesNotReadIsNamed) {
  auto r = render_one("    path: guestbook\n    directory: {recurse: true, include: '{a.yaml,b/*.yaml}'}\n",
                      "  labels: {team: web}\n");
  ASSERT_EQ(r.result.pipelines.size(), 1u) << r.diagnostics();
  EXPECT_EQ(json(r.result.pipelines[0].renderers[0].config), "include:\n- a.yaml\n- b/*.yaml\nexclude: []\n");

  TempDir repo;
  write_file(repo / "web/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
  write_file(repo / "apps/app.yaml",
             "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\nspec:\n"
             "  destination: {server: 'https://kubernetes.default.svc'}\n"
             "  source: {repoURL: " + std::string(kRepo) + ", path: web, directory: {jsonnet: {}}}\n"
             "  ignoreDifferences: [{group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}]\n"
             "  syncPolicy:\n    syncOptions: [ServerSideApply=true, PruneLast=true, Replace=true, Validate=false]\n"
             "    retry: {limit: 5}\n    managedNamespaceMetadata: {labels: {a: b}}\n");
  auto named = render_apps(repo.path());
  const std::string d = named.diagnostics();
  ASSERT_EQ(named.result.pipelines.size(), 1u) << d;
  for (const char* expected :
       {"warning: spec.ignoreDifferences is not supported by driftless and is ignored (docs/migrating-from-argocd.md)",
        "warning: spec.syncPolicy.managedNamespaceMetadata is not supported by driftless and is ignored",
        "info: spec.syncPolicy.syncOptions: 'ServerSideApply=true': driftless always applies server-side",
        "info: spec.syncPolicy.syncOptions: 'PruneLast=true': driftless always prunes after everything else is applied",
        "warning: spec.syncPolicy.syncOptions: 'Replace=true' is not supported; driftless applies server-side and takes over "
        "fields with force",
        "warning: spec.syncPolicy.syncOptions: 'Validate=false' is not supported; ignored",
        "info: spec.syncPolicy.retry: driftless retries a failed sync with its own backoff",
        "warning: spec.syncPolicy.automated: not set: Argo CD would wait for a manual sync, driftless syncs it at every change "
        "(without pruning or healing drift"})
    EXPECT_NE(d.find(expected), std::string::npos) << expected << "\n" << d;
  EXPECT_EQ(json(named.result.pipelines[0].sink), "prune: false\ndrift: report\n") << "Argo CD's manual sync neither prunes nor heals";
}

TEST(ArgocdRenderer, BadApplicationsAreErrorsNamingFieldAndObject) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"    path: ../outside\n", "spec.source.path: '../outside' leads out of the repository"},
      {"    path: guestbook\n    helm: {valueFiles: [../../etc/passwd]}\n",
       "spec.source.helm.valueFiles: '../../etc/passwd' leads out of the repository"},
      {"    path: guestbook\n    helm: {valueFiles: [$values/prod.yaml]}\n",
       "spec.source.helm.valueFiles: '$values/prod.yaml' names no source: no entry of spec.sources has ref: values"},
      {"    path: guestbook\n    helm: {values: 'a: [1'}\n", "spec.source.helm.values: is not one YAML mapping"},
      {"    path: guestbook\n    helm: {parameters: [{name: 'list[0]', value: x}]}\n", "list indexes are not supported yet"},
      {"    path: guestbook\n    plugin: {name: kasane}\n", "spec.source.plugin: config management plugins are not supported"},
      {"    path: guestbook\n    helm: {}\n    kustomize: {}\n", "sets more than one of helm, kustomize and directory"},
  };
  for (const auto& [source, expected] : cases) {
    auto r = render_one(source);
    EXPECT_TRUE(r.result.pipelines.empty()) << source;
    EXPECT_NE(r.diagnostics().find("apps/app.yaml:1: error: "), std::string::npos) << source << r.diagnostics();
    EXPECT_NE(r.diagnostics().find(expected), std::string::npos) << source << r.diagnostics();
  }
  auto wave = render_one("    path: guestbook\n", "  annotations: {argocd.argoproj.io/sync-wave: soon}\n");
  EXPECT_NE(wave.diagnostics().find("error: metadata.annotations[argocd.argoproj.io/sync-wave]: must be a whole number"),
            std::string::npos)
      << wave.diagnostics();
}

TEST(ArgocdRenderer, ImagesAreReadAsKustomizeEditSetImageReadsThem) {
  auto r = render_one("    path: guestbook\n    kustomize:\n      images: [nginx=registry.local:5000/nginx:1.25, "
                      "'redis@sha256:0000', busybox:1.36, old=new]\n      namespace: web\n"
                      "      commonLabels: {team: web}\n      commonAnnotations: {owner: me}\n");
  ASSERT_EQ(r.result.pipelines.size(), 1u) << r.diagnostics();
  EXPECT_EQ(json(r.result.pipelines[0].renderers[1].config),
            "targetNamespace: web\ncommonMetadata:\n  labels:\n    team: web\n  annotations:\n    owner: me\nimages:\n"
            "- name: nginx\n  newName: registry.local:5000/nginx\n  newTag: \"1.25\"\n"
            "- name: redis\n  digest: sha256:0000\n- name: busybox\n  newTag: \"1.36\"\n- name: old\n  newName: new\n");
  EXPECT_NE(r.diagnostics().find("warning: spec.source.kustomize.commonLabels: set on the objects' metadata only"), std::string::npos)
      << r.diagnostics();
}

// Differential: the values an Application's helm parameters give a chart are
// the ones `helm template --set` gives it.
TEST(ArgocdRenderer, HelmParametersGiveTheValuesHelmSetGives) {
  TempDir repo;
  values_chart(repo.path(), "chart");
  const std::vector<std::pair<std::string, std::string>> parameters{
      {"image.tag", "1.2"}, {"replicas", "3"}, {"debug", "true"}, {"zip", "007"}, {"off", "null"},
      {"neg", "-4"}, {"dotted\\.key.x", "y"}, {"big", "123456789012345678901"}};
  std::string list;
  std::vector<std::string> helm_args;
  for (const auto& [name, value] : parameters) {
    list += std::string(list.empty() ? "" : ", ") + "{name: '" + name + "', value: '" + value + "'}";
    helm_args.insert(helm_args.end(), {"--set", name + "=" + value});
  }
  helm_args.insert(helm_args.end(), {"--set-string", "forced=12"});
  write_file(repo / "apps/app.yaml",
             application("chart", "    path: chart\n    helm:\n      parameters: [" + list +
                                      ", {name: forced, value: '12', forceString: true}]\n"));
  auto declared_apps = render_apps(repo.path());
  ASSERT_EQ(declared_apps.result.pipelines.size(), 1u) << declared_apps.diagnostics();
  EXPECT_EQ(values_by_stage(repo.path(), "chart", declared_apps.result.pipelines[0].renderers[0]),
            values_by_helm(repo.path(), "chart", helm_args));
}

TEST(ArgocdRenderer, ADirectoryAppReadsOnlyItsFolderUnlessRecurseIsSet) {
  TempDir repo;
  write_file(repo / "web/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: top}\n");
  write_file(repo / "web/nested/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nested}\n");
  for (const bool recurse : {false, true}) {
    write_file(repo / "apps/app.yaml", application("web", std::string("    path: web\n    directory: {recurse: ") +
                                                              (recurse ? "true" : "false") + "}\n"));
    auto apps = render_apps(repo.path());
    ASSERT_EQ(apps.result.pipelines.size(), 1u) << apps.diagnostics();
    auto web = render({"yaml", to_yaml(apps.result.pipelines[0].renderers[0].config), repo.path(), "web", {}, nullptr});
    const std::vector<std::string> expected =
        recurse ? std::vector<std::string>{"ConfigMap/nested", "Service/top"} : std::vector<std::string>{"Service/top"};
    EXPECT_EQ(web.ids(), expected) << web.diagnostics();
  }
}

namespace {

// An Application with `sources` (the YAML of the list's entries) and, when given, a `source` beside it.
std::string multi_source(const std::string& sources, const std::string& source = "") {
  return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\nspec:\n"
         "  destination: {server: 'https://kubernetes.default.svc', namespace: web}\n"
         "  syncPolicy: {automated: {prune: true, selfHeal: true}}\n" + source + "  sources:\n" + sources;
}

// `apps/web.yaml` holding multi_source(sources, source) in a repository with
// a chart (charts/web), a folder of plain YAML (extras) and values files (envs/prod).
Rendered render_sources(const std::string& sources, const std::string& source = "") {
  TempDir repo;
  write_file(repo / "charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n");
  write_file(repo / "extras/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extras}\n");
  write_file(repo / "envs/prod/web.yaml", "replicas: 3\nimage: {tag: from-file}\n");
  write_file(repo / "envs/prod/list.yaml", "- not a mapping\n");
  write_file(repo / "apps/web.yaml", multi_source(sources, source));
  return render_apps(repo.path());
}

const std::string kValuesRef = std::string("  - {repoURL: '") + kRepo + "', targetRevision: main, ref: values}\n";

}  // namespace

// Argo CD's most common multi-source Application: a chart of a Helm
// repository with values files of the pipeline's own repository ($values/...).
// The chart is fetched by the declared pipeline, so those files are read with
// the Application and merged, in order, under the inline values.
TEST(ArgocdRenderer, AChartOfAHelmRepositoryTakesValuesFilesOfThePipelinesRepositoryThroughARefSource) {
  auto r = render_sources("  - repoURL: https://charts.example.com\n    chart: web\n    targetRevision: 1.2.0\n"
                          "    helm:\n      valueFiles: [values-prod.yaml, $values/envs/prod/web.yaml, $values/envs/prod/absent.yaml]\n"
                          "      ignoreMissingValueFiles: true\n"
                          "      valuesObject: {image: {pullPolicy: Always}}\n"
                          "      parameters: [{name: image.tag, value: from-parameter}]\n" + kValuesRef);
  ASSERT_EQ(r.result.pipelines.size(), 1u) << r.diagnostics();
  const auto& web = r.result.pipelines[0];
  EXPECT_EQ(web.name, "web") << "one rendered source: the Application's own name";
  ASSERT_TRUE(web.source.has_value());
  EXPECT_EQ(web.source->type, "helm-chart");
  EXPECT_EQ(json(web.renderers[0].config),
            "releaseName: web\nnamespace: web\nvaluesFiles:\n- web/values-prod.yaml\n"
            "values:\n  replicas: 3\n  image:\n    tag: from-parameter\n    pullPolicy: Always\n")
      << "the chart's own file first, then the pipeline's file, the inline values and the parameters over it";
  EXPECT_EQ(r.result.read_folders, (std::vector<std::string>{"envs/prod", "envs/prod"}))
      << "the parent renders again when a values file it read changes";
  EXPECT_NE(r.diagnostics().find("info: spec.sources[0].helm.valueFiles: '$values/envs/prod/absent.yaml' does not exist; left out"),
            std::string::npos)
      << r.diagnostics();
}

// Differential: values files of the pipeline's repository, merged when the
// Application is read, give the chart the values `helm template` gives it
// with those files, the inline values and the parameters as Argo CD passes them.
TEST(ArgocdRenderer, RefValuesFilesMergedWithTheApplicationGiveTheValuesHelmGives) {
  TempDir repo;
  values_chart(repo.path(), "web", "image: {repository: web, tag: '1.0', pullPolicy: IfNotPresent}\nports: [80, 443]\n"
                                   "labels: {team: a, tier: web}\n");
  write_file(repo / "envs/base.yaml", "image: {tag: '2.0'}\nports: [8080]\nlabels: {tier: null}\n");
  write_file(repo / "envs/prod.yaml", "image: {pullPolicy: Always}\nreplicas: 3\n");
  write_file(repo / "inline.yaml", "replicas: 4\nlabels: {owner: me}\n");
  write_file(repo / "apps/app.yaml",
             multi_source("  - repoURL: https://charts.example.com\n    chart: web\n    targetRevision: 0.1.0\n    helm:\n"
                          "      valueFiles: [$values/envs/base.yaml, $values/envs/prod.yaml]\n"
                          "      values: |\n        replicas: 4\n        labels: {owner: me}\n"
                          "      parameters: [{name: image.tag, value: '3.0'}]\n" + kValuesRef));
  auto apps = render_apps(repo.path());
  ASSERT_EQ(apps.result.pipelines.size(), 1u) << apps.diagnostics();
  EXPECT_EQ(values_by_stage(repo.path(), "web", apps.result.pipelines[0].renderers[0]),
            values_by_helm(repo.path(), "web", {"-f", (repo / "envs/base.yaml").string(), "-f", (repo / "envs/prod.yaml").string(),
                                                "-f", (repo / "inline.yaml").string(), "--set", "image.tag=3.0"}));
}

// A chart of the pipeline's repository reads its $values files itself, in the order written.
TEST(ArgocdRenderer, RefFilesOfTheRenderedSourcesOwnRepositoryAreValuesFilesOfTheHelmStage) {
  auto own = render_sources(std::string("  - {repoURL: '") + kRepo + "', path: charts/web, helm: {valueFiles: [$values/envs/prod/web.yaml, "
                            "values-b.yaml]}}\n" + kValuesRef);
  ASSERT_EQ(own.result.pipelines.size(), 1u) << own.diagnostics();
  EXPECT_FALSE(own.result.pipelines[0].source.has_value());
  EXPECT_EQ(json(own.result.pipelines[0].renderers[0].config),
            "releaseName: web\nnamespace: web\nvaluesFiles:\n- envs/prod/web.yaml\n- charts/web/values-b.yaml\n");

  // Another repository that is its own ref source, at the same revision: the files come with the chart.
  auto other = render_sources("  - {repoURL: 'https://github.com/example/other.git', targetRevision: v1.2.0, path: charts/web, "
                              "helm: {valueFiles: [$config/prod.yaml]}}\n"
                              "  - {repoURL: 'https://github.com/example/other', targetRevision: refs/tags/v1.2.0, ref: config}\n");
  ASSERT_EQ(other.result.pipelines.size(), 1u) << other.diagnostics();
  EXPECT_EQ(other.result.pipelines[0].source->type, "git");
  EXPECT_EQ(json(other.result.pipelines[0].renderers[0].config), "releaseName: web\nnamespace: web\nvaluesFiles:\n- prod.yaml\n");
}

// Each rendered source is a pipeline of its own, into the Application's one
// destination; a ref source with a path is rendered too, as in Argo CD.
TEST(ArgocdRenderer, SeveralRenderedSourcesAreOnePipelineEachWithTheApplicationsDestination) {
  auto r = render_sources("  - {repoURL: https://charts.example.com, chart: web, targetRevision: 1.2.0}\n"
                          "  - {repoURL: 'https://github.com/example/team.git', path: deploy, name: team}\n"
                          "  - {repoURL: '" + std::string(kRepo) + "', targetRevision: main, path: extras, ref: values}\n",
                          "  source: {repoURL: 'https://github.com/example/old.git', path: old}\n");
  ASSERT_EQ(r.result.pipelines.size(), 3u) << r.diagnostics();
  EXPECT_EQ(declared(r, "web.1").source->type, "helm-chart");
  EXPECT_EQ(json(declared(r, "web.team").source->config), "url: https://github.com/example/team.git\nref:\n  branch: HEAD\n");
  const auto& extras = declared(r, "web.3");
  EXPECT_FALSE(extras.source.has_value()) << "the pipeline's own repository";
  EXPECT_EQ(extras.path, "extras");
  EXPECT_EQ(types(extras), (std::vector<std::string>{"yaml", "argocd"}));
  for (const auto& p : r.result.pipelines) {
    EXPECT_EQ(json(p.sink), "prune: true\ndrift: heal\nnamespace: web\n") << p.name;
    EXPECT_EQ(p.declared_by, "Application/argocd/web");
    EXPECT_EQ(p.origin.file, "apps/web.yaml");
  }
  EXPECT_NE(r.diagnostics().find("apps/web.yaml:1: warning: spec.source: ignored: spec.sources is set, and Argo CD then reads "
                                 "spec.sources only"),
            std::string::npos)
      << r.diagnostics();
}

TEST(ArgocdRenderer, BadMultiSourceApplicationsAreErrorsNamingTheField) {
  const std::string chart = "  - repoURL: https://charts.example.com\n    chart: web\n    targetRevision: 1.2.0\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {chart + "    helm: {valueFiles: [$config/prod.yaml]}\n" + kValuesRef,
       "spec.sources[0].helm.valueFiles: '$config/prod.yaml' names no source: no entry of spec.sources has ref: config"},
      {chart + "    helm: {valueFiles: [$values/envs/prod/web.yaml, values-prod.yaml]}\n" + kValuesRef,
       "spec.sources[0].helm.valueFiles: 'values-prod.yaml' is listed after '$values/envs/prod/web.yaml', a file of the "
       "pipeline's repository that driftless reads with the Application and applies after the chart's own files"},
      {chart + "    helm: {valueFiles: [$values/envs/prod/list.yaml]}\n" + kValuesRef,
       "spec.sources[0].helm.valueFiles: '$values/envs/prod/list.yaml' (envs/prod/list.yaml of the pipeline's repository) is "
       "not one YAML mapping of values"},
      {chart + "    helm: {valueFiles: [$values/envs/prod/missing.yaml]}\n" + kValuesRef,
       "spec.sources[0].helm.valueFiles: '$values/envs/prod/missing.yaml': "},
      {chart + "    helm: {valueFiles: [$values/../secret.yaml]}\n" + kValuesRef,
       "spec.sources[0].helm.valueFiles: '$values/../secret.yaml' is not a file below the root of spec.sources[1]"},
      {chart + "    helm: {valueFiles: [$config/prod.yaml]}\n  - {repoURL: 'https://github.com/example/config.git', ref: config}\n",
       "spec.sources[0].helm.valueFiles: '$config/prod.yaml': spec.sources[1] is a repository other than the pipeline's and "
       "spec.sources[0]'s; driftless reads values files of those two only"},
      {chart + "    ref: values\n" + kValuesRef,
       "spec.sources[0].ref: a chart cannot be a ref source (as in Argo CD)"},
      {kValuesRef + "  - {repoURL: '" + kRepo + "', path: extras, ref: values}\n",
       "spec.sources[1].ref: 'values' names another source already"},
      {kValuesRef, "spec.sources: every source is a ref source without a path: nothing is rendered"},
      {"  - just-a-url\n", "spec.sources[0]: must be a mapping"},
      {chart + "    plugin: {name: kasane}\n", "spec.sources[0].plugin: config management plugins are not supported"},
      {"  - {repoURL: '" + std::string(kRepo) + "', path: ../outside}\n", "spec.sources[0].path: '../outside' leads out of the repository"},
  };
  for (const auto& [sources, expected] : cases) {
    auto r = render_sources(sources);
    EXPECT_TRUE(r.result.pipelines.empty()) << sources;
    EXPECT_NE(r.diagnostics().find("apps/web.yaml:1: error: " + expected), std::string::npos) << sources << r.diagnostics();
  }
}

namespace {

const char* kApplicationSetHead = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: set, namespace: argocd}\n";

// An Application template as Argo CD's examples write them, with `name`, `path` and `namespace` as given.
std::string app_template(const std::string& name, const std::string& path, const std::string& ns) {
  return std::string("  template:\n    metadata: {name: '") + name + "'}\n    spec:\n      project: default\n"
         "      source: {repoURL: '" + kRepo + "', targetRevision: HEAD, path: '" + path + "'}\n"
         "      destination: {server: 'https://kubernetes.default.svc', namespace: '" + ns + "'}\n"
         "      syncPolicy: {automated: {prune: true, selfHeal: true}}\n";
}

Rendered render_set(TempDir& repo, const std::string& spec, const std::string& config = "{}") {
  write_file(repo / "apps/set.yaml", std::string(kApplicationSetHead) + "spec:\n" + spec);
  std::vector<KubeObject> input = render({"yaml", "{}", repo.path(), "apps", {}, nullptr}).result.objects;
  const Artifact facts = git_source();
  return render({"argocd", config, repo.path(), "apps", std::move(input), nullptr}, {}, &facts);
}

// Argo CD's cluster list, as the argocd stage's `clusters` describes it.
const char* kClusters =
    "{clusters: [{name: staging, server: 'https://staging.example.com:6443', labels: {env: staging, enable_ingress_nginx: 'true'}},"
    " {name: prod, server: 'https://prod.example.com:6443', project: platform, labels: {env: prod},"
    " annotations: {team: 'platform@example.com'}}]}";

}  // namespace

// The git directory generator of Argo CD's cluster-addons example: one Application per folder.
TEST(ArgocdRenderer, AnApplicationSetOfGitDirectoriesDeclaresOnePipelinePerFolder) {
  TempDir repo;
  write_file(repo / "addons/argo-workflows/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: workflows}\n");
  write_file(repo / "addons/prometheus/Chart.yaml", "apiVersion: v2\nname: prometheus\nversion: 0.1.0\n");
  write_file(repo / "addons/exclude-me/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: no}\n");
  write_file(repo / "addons/.hidden/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: no}\n");
  auto r = render_set(repo, std::string("  generators:\n  - git:\n      repoURL: ") + kRepo +
                                "\n      revision: HEAD\n      directories:\n      - path: addons/*\n"
                                "      - {path: addons/exclude-me, exclude: true}\n" +
                                app_template("{{path.basename}}", "{{path}}", "{{path[1]}}"));
  ASSERT_EQ(r.result.pipelines.size(), 2u) << r.diagnostics();
  EXPECT_TRUE(r.result.objects.empty()) << "the ApplicationSet is taken out of the render";
  const auto& workflows = declared(r, "argo-workflows");
  EXPECT_EQ(workflows.path, "addons/argo-workflows");
  EXPECT_EQ(types(workflows), (std::vector<std::string>{"yaml", "argocd"}));
  EXPECT_EQ(json(workflows.sink), "prune: true\ndrift: heal\nnamespace: argo-workflows\n");
  EXPECT_EQ(workflows.origin.file, "apps/set.yaml");
  const auto& prometheus = declared(r, "prometheus");
  EXPECT_EQ(types(prometheus), (std::vector<std::string>{"helm", "argocd"})) << "the tool Argo CD would pick per folder";
}

// A list generator in Go template mode, and a git files generator (fasttemplate) reading JSON and YAML.
TEST(ArgocdRenderer, ListAndGitFilesGeneratorsFillTheTemplate) {
  TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  auto list = render_set(repo, "  goTemplate: true\n  generators:\n  - list:\n      elements:\n"
                               "      - {cluster: engineering-dev, env: {namespace: dev}}\n"
                               "      - {cluster: engineering-prod, env: {namespace: prod}}\n" +
                                   app_template("{{.cluster}}-guestbook", "guestbook", "{{ .env.namespace }}"));
  ASSERT_EQ(list.result.pipelines.size(), 2u) << list.diagnostics();
  EXPECT_EQ(json(declared(list, "engineering-prod-guestbook").sink), "prune: true\ndrift: heal\nnamespace: prod\n");

  write_file(repo / "clusters/dev/config.json", R"({"cluster": {"name": "dev", "namespace": "gb-dev"}})");
  write_file(repo / "clusters/prod/config.yaml", "- cluster: {name: prod, namespace: gb-prod}\n");
  auto files = render_set(repo, std::string("  generators:\n  - git:\n      repoURL: ") + kRepo +
                                    "\n      revision: HEAD\n      files:\n      - path: 'clusters/*/config.*'\n" +
                                    app_template("{{cluster.name}}-{{path.basename}}", "guestbook", "{{cluster.namespace}}"));
  ASSERT_EQ(files.result.pipelines.size(), 2u) << files.diagnostics();
  EXPECT_EQ(json(declared(files, "prod-prod").sink), "prune: true\ndrift: heal\nnamespace: gb-prod\n");
  EXPECT_EQ(declared(files, "dev-dev").path, "guestbook");
}

// The names of the pipelines a render declared, sorted.
std::vector<std::string> names(const Rendered& r) {
  std::vector<std::string> out;
  for (const auto& p : r.result.pipelines) out.push_back(p.name);
  std::sort(out.begin(), out.end());
  return out;
}

// Argo CD's matrix example: every folder of addons/ for every cluster of a list.
TEST(ArgocdRenderer, AMatrixGeneratorMakesEveryPairOfItsTwoGeneratorsSets) {
  TempDir repo;
  write_file(repo / "addons/argo-workflows/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: workflows}\n");
  write_file(repo / "addons/prometheus/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: prometheus}\n");
  for (const bool go : {false, true}) {
    const std::string ref = go ? "." : "";
    auto r = render_set(repo, std::string(go ? "  goTemplate: true\n" : "") + "  generators:\n  - matrix:\n      generators:\n"
                                  "      - git:\n          repoURL: " + kRepo + "\n          revision: HEAD\n"
                                  "          directories: [{path: 'addons/*'}]\n"
                                  "      - list:\n          elements: [{cluster: dev, url: 'https://kubernetes.default.svc'}, "
                                  "{cluster: prod, url: 'https://kubernetes.default.svc'}]\n" +
                                  app_template("{{" + ref + "path.basename}}-{{" + ref + "cluster}}", go ? "{{.path.path}}" : "{{path}}",
                                               "{{" + ref + "cluster}}"));
    EXPECT_EQ(names(r), (std::vector<std::string>{"argo-workflows-dev", "argo-workflows-prod", "prometheus-dev", "prometheus-prod"}))
        << r.diagnostics();
    if (r.result.pipelines.size() != 4u) continue;
    EXPECT_EQ(declared(r, "prometheus-prod").path, "addons/prometheus");
    EXPECT_EQ(json(declared(r, "prometheus-prod").sink), "prune: true\ndrift: heal\nnamespace: prod\n");
  }
}

// The second generator of a matrix names the first's parameters: each
// environment's config file, as Argo CD's matrix docs show it.
TEST(ArgocdRenderer, AMatrixsSecondGeneratorIsFilledFromTheFirstsParameters) {
  TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  write_file(repo / "envs/dev/config.json", R"({"namespace": "gb-dev", "replicas": 1})");
  write_file(repo / "envs/prod/config.json", R"({"namespace": "gb-prod", "replicas": 3})");
  write_file(repo / "envs/prod/other.json", R"({"namespace": "never"})");
  auto r = render_set(repo, std::string("  goTemplate: true\n  generators:\n  - matrix:\n      generators:\n"
                                        "      - list: {elements: [{env: dev}, {env: prod}]}\n"
                                        "      - git:\n          repoURL: ") + kRepo +
                                "\n          revision: HEAD\n          files: [{path: 'envs/{{.env}}/config.json'}]\n" +
                                app_template("guestbook-{{.env}}", "guestbook", "{{.namespace}}"));
  ASSERT_EQ(names(r), (std::vector<std::string>{"guestbook-dev", "guestbook-prod"})) << r.diagnostics();
  EXPECT_EQ(json(declared(r, "guestbook-prod").sink), "prune: true\ndrift: heal\nnamespace: gb-prod\n");
}

// A merge generator: clusters of a base list, some overridden by a second
// list paired by the `cluster` parameter; a set of no pair is left out of the
// second and kept as it is in the base.
TEST(ArgocdRenderer, AMergeGeneratorOverlaysTheSetsThatShareItsMergeKeys) {
  TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  auto r = render_set(repo, "  generators:\n  - merge:\n      mergeKeys: [cluster]\n      generators:\n"
                            "      - list: {elements: [{cluster: dev, ns: default}, {cluster: staging, ns: default}, "
                            "{cluster: prod, ns: default}]}\n"
                            "      - list: {elements: [{cluster: prod, ns: production}, {cluster: elsewhere, ns: x}]}\n" +
                                app_template("guestbook-{{cluster}}", "guestbook", "{{ns}}"));
  ASSERT_EQ(names(r), (std::vector<std::string>{"guestbook-dev", "guestbook-prod", "guestbook-staging"})) << r.diagnostics();
  EXPECT_EQ(json(declared(r, "guestbook-prod").sink), "prune: true\ndrift: heal\nnamespace: production\n");
  EXPECT_EQ(json(declared(r, "guestbook-dev").sink), "prune: true\ndrift: heal\nnamespace: default\n");
}

// A selector keeps the sets whose parameters match; a generator's own template
// overrides spec.template field by field.
TEST(ArgocdRenderer, AGeneratorsSelectorFiltersItsSetsAndItsTemplateOverridesTheSpecs) {
  TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  write_file(repo / "canary/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: canary}\n");
  auto r = render_set(repo, "  generators:\n"
                            "  - list:\n      elements: [{name: a, tier: web}, {name: b, tier: batch}, {name: c, tier: web, skip: 'yes'}]\n"
                            "    selector:\n      matchLabels: {tier: web}\n"
                            "      matchExpressions: [{key: skip, operator: DoesNotExist}]\n"
                            "  - list:\n      elements: [{name: d, tier: web}]\n"
                            "      template:\n        spec:\n          source: {path: canary}\n" +
                                app_template("{{name}}", "guestbook", "{{tier}}"));
  ASSERT_EQ(names(r), (std::vector<std::string>{"a", "d"})) << r.diagnostics();
  EXPECT_EQ(declared(r, "a").path, "guestbook");
  EXPECT_EQ(declared(r, "d").path, "canary") << "the list's template overrides spec.template.spec.source.path only";
  EXPECT_EQ(json(declared(r, "d").sink), "prune: true\ndrift: heal\nnamespace: web\n");
}

// The clusters generator lists the config's clusters, and in-cluster when it
// has no selector, as Argo CD lists its cluster Secrets and its local cluster;
// destination.server of a listed cluster means its context.
TEST(ArgocdRenderer, TheClustersGeneratorListsTheClustersOfTheConfig) {
  TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  const auto templ = [](const std::string& ns) {
    return "  template:\n    metadata: {name: 'guestbook-{{name}}'}\n    spec:\n      project: '{{project}}'\n"
           "      source: {repoURL: '" + std::string(kRepo) + "', targetRevision: HEAD, path: guestbook}\n"
           "      destination: {server: '{{server}}', namespace: '" + ns + "'}\n";
  };
  auto all = render_set(repo, "  generators:\n  - clusters: {}\n" + templ("guestbook"), kClusters);
  ASSERT_EQ(names(all), (std::vector<std::string>{"guestbook-in-cluster", "guestbook-prod", "guestbook-staging"}))
      << all.diagnostics();
  EXPECT_EQ(json(declared(all, "guestbook-prod").sink), "prune: false\ndrift: report\nnamespace: guestbook\ncontext: prod\n");
  EXPECT_EQ(json(declared(all, "guestbook-in-cluster").sink), "prune: false\ndrift: report\nnamespace: guestbook\n");

  auto labelled = render_set(repo, "  generators:\n  - clusters:\n      selector:\n        matchLabels: {env: prod}\n"
                                   "      values: {owner: '{{metadata.annotations.team}}'}\n" + templ("gb-{{metadata.labels.env}}"),
                             kClusters);
  ASSERT_EQ(names(labelled), (std::vector<std::string>{"guestbook-prod"})) << labelled.diagnostics();
  EXPECT_EQ(json(declared(labelled, "guestbook-prod").sink), "prune: false\ndrift: report\nnamespace: gb-prod\ncontext: prod\n");

  auto none = render_set(repo, "  generators:\n  - clusters: {}\n" + templ("gb-{{metadata.labels.env}}"));
  EXPECT_TRUE(none.result.pipelines.empty()) << "in-cluster has no labels: the template names one";
  EXPECT_NE(none.diagnostics().find("'{{metadata.labels.env}}': no parameter is named metadata.labels.env"), std::string::npos) << none.diagnostics();
}

// Argo CD's cluster-addons pattern: every addon folder for every cluster whose
// label enables it, the addon's name turned into the label's.
TEST(ArgocdRenderer, AMatrixOfAddonFoldersAndLabelledClustersDeploysEachAddonWhereItIsEnabled) {
  TempDir repo;
  write_file(repo / "addons/ingress-nginx/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress}\n");
  write_file(repo / "addons/cert-manager/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: certs}\n");
  auto r = render_set(repo, std::string("  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n  generators:\n"
                                        "  - matrix:\n      generators:\n      - git:\n          repoURL: ") + kRepo +
                                "\n          revision: HEAD\n          directories: [{path: 'addons/*'}]\n"
                                "      - clusters:\n          selector:\n            matchExpressions:\n"
                                "            - key: enable_{{.path.basename}}\n              operator: In\n              values: ['true']\n"
                                "  template:\n    metadata: {name: 'addon-{{.name}}-{{.path.basename}}'}\n    spec:\n"
                                "      project: default\n      source: {repoURL: '" + kRepo + "', targetRevision: HEAD, path: '{{.path.path}}'}\n"
                                "      destination: {name: '{{.name}}', namespace: '{{.path.basename}}'}\n",
                        "{clusters: [{name: staging, labels: {enable_ingress-nginx: 'true'}}, {name: prod, labels: {}}]}");
  ASSERT_EQ(names(r), (std::vector<std::string>{"addon-staging-ingress-nginx"})) << r.config_error << r.diagnostics();
  EXPECT_EQ(declared(r, "addon-staging-ingress-nginx").path, "addons/ingress-nginx");
  EXPECT_EQ(json(declared(r, "addon-staging-ingress-nginx").sink), "prune: false\ndrift: report\nnamespace: ingress-nginx\ncontext: staging\n");
}

TEST(ArgocdRenderer, AClusterListThatIsNotOneIsAConfigError) {
  for (const auto& [config, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{clusters: [{server: 'https://a'}]}", "clusters: each cluster needs a name"},
           {"{clusters: [{name: a}, {name: a}]}", "clusters: 'a' is listed twice"},
           {"{clusters: [{name: a, server: 'https://a'}, {name: b, server: 'https://a'}]}", "the server 'https://a' is listed twice"},
           {"{clusters: [{name: a, labels: {env: [x]}}]}", "clusters: labels.env must be a string"},
           {"{clusters: [{name: a, secretRef: x}]}", "clusters: unknown field 'secretRef'"},
       }) {
    TempDir repo;
    write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
    auto r = render_set(repo, "  generators:\n  - clusters: {}\n" + app_template("{{name}}", "guestbook", "a"), config);
    EXPECT_TRUE(r.result.pipelines.empty()) << config;
    EXPECT_NE(r.config_error.find(expected), std::string::npos) << config << "\n" << r.config_error;
  }
}

// The Go template functions ApplicationSets use most, as text/template and
// sprig evaluate them: index into the path's segments, pipelines, defaults.
TEST(ArgocdRenderer, GoTemplateActionsTakeIndexPipelinesAndCommonFunctions) {
  TempDir repo;
  write_file(repo / "apps/team-a/Web_Frontend/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
  auto ok = render_set(repo, std::string("  goTemplate: true\n  generators:\n  - git:\n      repoURL: ") + kRepo +
                                 "\n      revision: HEAD\n      directories: [{path: 'apps/*/*'}]\n"
                                 "      values: {tier: ''}\n"
                                 "  template:\n    metadata:\n"
                                 "      name: '{{ index .path.segments 1 }}-{{ .path.basename | lower | replace \"_\" \"-\" | trunc 7 }}'\n"
                                 "    spec:\n      project: default\n"
                                 "      source: {repoURL: '" + kRepo + "', targetRevision: HEAD, path: '{{.path.path}}'}\n"
                                 "      destination: {server: 'https://kubernetes.default.svc', "
                                 "namespace: '{{ .values.tier | default \"frontend\" }}-{{ normalize .path.basename }}'}\n");
  ASSERT_EQ(names(ok), (std::vector<std::string>{"team-a-web-fro"})) << ok.diagnostics();
  EXPECT_EQ(declared(ok, "team-a-web-fro").path, "apps/team-a/Web_Frontend");
  EXPECT_EQ(json(declared(ok, "team-a-web-fro").sink), "prune: false\ndrift: report\nnamespace: frontend-web-frontend\n");
}

// A hostile repository: a parameter of 100 KiB used a hundred times, and a
// replace that would make a megabyte of every byte. Both are errors, not
// gigabytes of memory.
TEST(ArgocdRenderer, WhatParametersAddToATemplateIsBounded) {
  TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  std::string labels;
  for (int i = 0; i < 100; ++i) labels += "        l" + std::to_string(i) + ": '{{big}}'\n";
  auto many = render_set(repo, "  generators:\n  - list: {elements: [{name: a, big: " + std::string(100 * 1024, 'x') + "}]}\n"
                               "  template:\n    metadata:\n      name: a\n      labels:\n" + labels +
                               "    spec:\n      project: default\n      source: {repoURL: '" + kRepo +
                               "', targetRevision: HEAD, path: guestbook}\n"
                               "      destination: {server: 'https://kubernetes.default.svc', namespace: a}\n");
  EXPECT_TRUE(many.result.pipelines.empty());
  EXPECT_NE(many.diagnostics().find("error: spec.template: the parameters would add more than 8388608 bytes"), std::string::npos)
      << many.diagnostics().substr(0, 2000);

  auto replaced = render_set(repo, "  goTemplate: true\n  generators:\n  - list: {elements: [{name: " + std::string(4096, 'a') +
                                   ", wide: " + std::string(4096, 'b') + "}]}\n" +
                                   app_template("{{ .name | replace \"a\" .wide }}", "guestbook", "a"));
  EXPECT_TRUE(replaced.result.pipelines.empty());
  EXPECT_NE(replaced.diagnostics().find("replace would make more than 1048576 bytes"), std::string::npos)
      << replaced.diagnostics().substr(0, 2000);
}

TEST(ArgocdRenderer, WhatAMatrixOrMergeCannotCombineIsAnErrorNamingIt) {
  const std::string one = "      - list: {elements: [{name: a}]}\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"  - matrix:\n      generators:\n" + one,
       "spec.generators[0].matrix.generators: has 1 generators; it combines at least 2"},
      {"  - matrix:\n      generators:\n" + one + one + one,
       "spec.generators[0].matrix.generators: has 3 generators; a matrix combines two"},
      {"  - matrix:\n      generators:\n" + one + "      - list: {elements: [{name: b}]}\n",
       "spec.generators[0].matrix: parameter 'name' is 'a' in the first generator and 'b' in the second"},
      {"  - merge:\n      generators:\n" + one + one, "spec.generators[0].merge.mergeKeys: is required"},
      {"  - merge:\n      mergeKeys: [name]\n      generators:\n      - list: {elements: [{name: a}, {name: a}]}\n" + one,
       "spec.generators[0].merge.generators[0]: makes two parameter sets with the merge keys {\"name\":\"a\"}"},
      {"  - list: {elements: [{name: a}]}\n    selector: {matchExpressions: [{key: name, operator: In}]}\n",
       "spec.generators[0].selector.matchExpressions: 'name': In needs values"},
      {"  - matrix:\n      generators:\n      - matrix:\n          generators:\n          - matrix: {generators: []}\n"
       "          - list: {elements: [{name: a}]}\n" + one,
       "spec.generators[0].matrix.generators[0].matrix.generators[0].matrix: nests matrix and merge generators more than 2 deep"},
      {"  - list: {elements: [{name: a}]}\n    git: {}\n", "spec.generators[0]: names two generators ('list' and 'git')"},
  };
  for (const auto& [generators, expected] : cases) {
    TempDir repo;
    write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
    auto r = render_set(repo, "  generators:\n" + generators + app_template("x", "guestbook", "a"));
    EXPECT_TRUE(r.result.pipelines.empty()) << generators;
    EXPECT_NE(r.diagnostics().find("apps/set.yaml:1: error: " + expected), std::string::npos) << generators << "\n"
                                                                                             << r.diagnostics();
  }
  TempDir repo;
  write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
  auto r = render_set(repo, "  generators:\n  - matrix:\n      generators:\n      - list: {elements: [{name: a}], template: {metadata: {name: y}}}\n"
                            "      - list: {elements: [{env: dev}]}\n" + app_template("{{name}}-{{env}}", "guestbook", "a"));
  EXPECT_EQ(names(r), (std::vector<std::string>{"a-dev"})) << r.diagnostics();
  EXPECT_NE(r.diagnostics().find("warning: spec.generators[0].matrix.generators[0].list.template: is ignored"), std::string::npos)
      << r.diagnostics();
}

TEST(ArgocdRenderer, WhatAnApplicationSetAsksThatDriftlessDoesNotDoIsAnErrorNamingIt) {
  // A Go template set of one element {name: a} whose Applications are named `name`.
  const auto named = [](const std::string& name) {
    return "  goTemplate: true\n  generators:\n  - list: {elements: [{name: a}]}\n" + app_template(name, "guestbook", "a");
  };
  const std::vector<std::pair<std::string, std::string>> cases{
      {"  generators:\n  - scmProvider: {}\n" + app_template("a", "guestbook", "a"),
       "spec.generators[0]: the scmProvider generator is not supported yet"},
      {named("{{.name | snakecase}}"),
       "spec.template: '{{.name | snakecase}}': the function 'snakecase' is not supported"},
      {named("{{ if .name }}"),
       "spec.template: '{{if .name}}': the function 'if' is not supported"},
      {"  goTemplate: true\n  generators:\n  - list: {elements: [{name: a, path: {segments: [x]}}]}\n" +
           app_template("{{ index .path.segments 3 }}", "guestbook", "a"),
       "spec.template: '{{index .path.segments 3}}': index 3 is out of range (1 elements)"},
      {named("{{ .name | upper (lower .name) }}"),
       "spec.template: '{{.name | upper (lower .name)}}': '(' (parentheses, variables and other syntax are not supported)"},
      {"  generators:\n  - list: {elements: [{name: a}]}\n" + app_template("{{nope}}", "guestbook", "a"),
       "spec.template: '{{nope}}': no parameter is named nope"},
      {"  generators:\n  - git: {repoURL: 'https://github.com/example/other.git', directories: [{path: '*'}]}\n" +
           app_template("{{path.basename}}", "{{path}}", "a"),
       "spec.generators[0].git.repoURL: 'https://github.com/example/other.git' is not the pipeline's own repository"},
      {"  generators:\n  - list: {elements: [{name: a}]}\n  strategy: {type: RollingSync}\n" + app_template("a", "guestbook", "a"),
       "spec.strategy: is not supported yet"},
  };
  for (const auto& [spec, expected] : cases) {
    TempDir repo;
    write_file(repo / "guestbook/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: guestbook-ui}\n");
    auto r = render_set(repo, spec);
    EXPECT_TRUE(r.result.pipelines.empty()) << spec;
    EXPECT_NE(r.diagnostics().find("apps/set.yaml:1: error: " + expected), std::string::npos) << spec << "\n" << r.diagnostics();
  }
}
