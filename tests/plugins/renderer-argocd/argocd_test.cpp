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
  auto other = render_one("    path: guestbook\n", "", "https://github.com/example/other.git");
  EXPECT_TRUE(other.result.pipelines.empty());
  EXPECT_NE(other.diagnostics().find("apps/app.yaml:1: error: spec.source.repoURL: 'https://github.com/example/other.git' is not "
                                     "the pipeline's own repository (https://github.com/example/fleet.git); Applications from "
                                     "other repositories are not supported yet (docs/migrating-from-argocd.md) "
                                     "(Application/argocd/guestbook)"),
            std::string::npos)
      << other.diagnostics();
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
                   "pipeline's own cluster (https://kubernetes.default.svc); name another cluster with destination.name"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("apps/set.yaml:1: error: ApplicationSet is not supported yet"), std::string::npos) << d;
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
       "'$values/prod.yaml' names another source of a multi-source Application"},
      {"    path: guestbook\n    helm: {values: 'a: [1'}\n", "spec.source.helm.values: is not one YAML mapping"},
      {"    path: guestbook\n    helm: {parameters: [{name: 'list[0]', value: x}]}\n", "list indexes are not supported yet"},
      {"    path: guestbook\n    chart: nginx\n", "spec.source.chart: charts from a Helm repository are not supported yet"},
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
  write_file(repo / "chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 0.1.0\n");
  write_file(repo / "chart/templates/values.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: values}\ndata: {values: {{ .Values | toJson | quote }}}\n");
  const std::vector<std::pair<std::string, std::string>> parameters{
      {"image.tag", "1.2"}, {"replicas", "3"}, {"debug", "true"}, {"zip", "007"}, {"off", "null"},
      {"neg", "-4"}, {"dotted\\.key.x", "y"}, {"big", "123456789012345678901"}};
  std::string list;
  std::vector<std::string> helm_args{test_env()["HELM"], "template", "r", (repo / "chart").string()};
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
  const PluginUse& helm = declared_apps.result.pipelines[0].renderers[0];
  Value config = helm.config;
  config.as_object().set("helmPath", test_env()["HELM"]);
  auto ours = render({"helm", to_yaml(config), repo.path(), "chart", {}, nullptr});
  ASSERT_EQ(ours.result.objects.size(), 1u) << ours.diagnostics();
  auto theirs = run(helm_args, {{"HOME", repo.path().string()}});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  auto helm_output = parse_yaml(theirs.out, "helm");
  ASSERT_EQ(helm_output.documents.size(), 1u) << theirs.out;
  auto as_values = [](const Value& configmap) { return parse_yaml(configmap.at_path({"data", "values"})->as_string(), "v").documents.at(0).value; };
  EXPECT_EQ(to_yaml(as_values(ours.result.objects[0].body)), to_yaml(as_values(helm_output.documents[0].value)));
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
