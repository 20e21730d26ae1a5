// The helm renderer plugin with the real helm binary of tests/env.
#include <gtest/gtest.h>

#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string with_tool(const std::string& more = "") { return block_with_tool("helmPath", "HELM", more); }

// A chart with a vendored subchart, a CRD, a test hook and templates that show
// values, release facts and capabilities.
void web_chart(const fs::path& repo) {
  write_file(repo / "charts/web/Chart.yaml",
             "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n");
  write_file(repo / "charts/web/values.yaml", "replicas: 1\ncolor: blue\n");
  write_file(repo / "charts/web/templates/deploy.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n"
             "  labels: {color: {{ .Values.color }}}\nspec:\n  replicas: {{ .Values.replicas }}\n");
  write_file(repo / "charts/web/templates/caps.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caps}\ndata:\n"
             "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
             "  widgets: {{ .Capabilities.APIVersions.Has \"example.com/v1\" | quote }}\n");
  write_file(repo / "charts/web/templates/tests/test.yaml",
             "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-test\n  annotations: {helm.sh/hook: test}\n");
  write_file(repo / "charts/web/crds/widget.yaml",
             "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n");
  write_file(repo / "charts/web/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n");
  write_file(repo / "charts/web/charts/sub/templates/cm.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-sub}\n");
  write_file(repo / "clusters/prod/values.yaml", "replicas: 3\n");
}

const KubeObject* find(const Rendered& r, const std::string& id) {
  for (const auto& o : r.result.objects)
    if (o.id() == id) return &o;
  return nullptr;
}

}  // namespace

TEST(HelmRenderer, RendersAChartWithValuesFilesInlineValuesAndClusterFacts) {
  TempDir repo;
  web_chart(repo.path());
  ClusterInfo cluster{"v1.36.2", {"example.com/v1"}, {}};
  auto r = render({"helm",
                   with_tool("chart: charts/web, releaseName: prod-web, namespace: apps, "
                             "valuesFiles: [clusters/prod/values.yaml], values: {color: red}"),
                   repo.path(), "clusters/prod", {}, &cluster});
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"CustomResourceDefinition/widgets.example.com", "ConfigMap/apps/prod-web-sub",
                                               "ConfigMap/apps/caps", "Deployment/apps/prod-web"}));
  const KubeObject* deploy = find(r, "Deployment/apps/prod-web");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->body.at_path({"spec", "replicas"})->as_int(), 3);                        // values file
  EXPECT_EQ(deploy->body.at_path({"metadata", "labels", "color"})->as_string(), "red");       // inline values win
  EXPECT_EQ(deploy->origin.file, "charts/web/templates/deploy.yaml");
  EXPECT_EQ(r.result.read_folders, (std::vector<std::string>{"charts/web", "clusters/prod"}));  // for the render cache
  EXPECT_EQ(find(r, "ConfigMap/apps/prod-web-sub")->origin.file, "charts/web/charts/sub/templates/cm.yaml");
  EXPECT_EQ(find(r, "CustomResourceDefinition/widgets.example.com")->origin.file, "charts/web/crds/widget.yaml");
  const KubeObject* caps = find(r, "ConfigMap/apps/caps");
  EXPECT_EQ(caps->body.at_path({"data", "kube"})->as_string(), "v1.36.2");
  EXPECT_EQ(caps->body.at_path({"data", "widgets"})->as_string(), "true");
}

TEST(HelmRenderer, DefaultsWithoutClusterFactsAndKeptEarlierObjects) {
  TempDir repo;
  web_chart(repo.path());
  KubeObject earlier{Value(Object()), Provenance{"ns.yaml", 0, 1}};
  earlier.body.as_object().set("kind", "Namespace");
  auto r = render({"helm", with_tool("kubeVersion: v1.30.1, includeCRDs: false"), repo.path(), "charts/web", {earlier}, nullptr});
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(),
            (std::vector<std::string>{"Namespace/", "ConfigMap/default/web-sub", "ConfigMap/default/caps", "Deployment/default/web"}));
  EXPECT_EQ(find(r, "ConfigMap/default/caps")->body.at_path({"data", "kube"})->as_string(), "v1.30.1");
  EXPECT_EQ(find(r, "ConfigMap/default/caps")->body.at_path({"data", "widgets"})->as_string(), "false");
}

// A chart that asks for a recent Kubernetes (podinfo's kubeVersion: >=1.23.0-0),
// rendered with no cluster known and no kubeVersion key: helm's own default
// is that of a helm release (the Kubernetes of its client-go), not v1.20.
TEST(HelmRenderer, AChartAskingForARecentKubernetesRendersWithoutClusterFacts) {
  TempDir repo;
  write_file(repo / "podinfo/Chart.yaml",
             "apiVersion: v1\nname: podinfo\nversion: 6.9.0\nappVersion: 6.9.0\nkubeVersion: \">=1.23.0-0\"\n");
  write_file(repo / "podinfo/templates/caps.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caps}\ndata:\n"
             "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n");
  auto r = render({"helm", with_tool(), repo.path(), "podinfo", {}, nullptr});
  ASSERT_EQ(r.diagnostics(), "");
  const KubeObject* caps = find(r, "ConfigMap/default/caps");
  ASSERT_NE(caps, nullptr);
  EXPECT_NE(caps->body.at_path({"data", "kube"})->as_string(), "v1.20.0");
}

// Templates that set no namespace, of kinds known in every way driftless can know them.
void scoped_chart(const fs::path& repo) {
  write_file(repo / "c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
  write_file(repo / "c/templates/objects.yaml",
             "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n---\n"
             "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: role}\n---\n"
             "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n"          // CRD below: namespaced
             "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n---\n"          // CRD below: cluster-scoped
             "apiVersion: served.example/v1\nkind: Served\nmetadata: {name: s}\n---\n"     // the cluster says: cluster-scoped
             "apiVersion: served.example/v1\nkind: Local\nmetadata: {name: l}\n---\n"      // the cluster says: namespaced
             "apiVersion: unknown.example/v1\nkind: Mystery\nmetadata: {name: m}\n---\n"
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: elsewhere, namespace: other}\n");
  write_file(repo / "c/crds/crds.yaml",
             "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n"
             "spec: {group: example.com, scope: Namespaced, names: {kind: Widget, plural: widgets}}\n---\n"
             "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\n"
             "spec: {group: example.com, scope: Cluster, names: {kind: Gadget, plural: gadgets}}\n");
}

TEST(HelmRenderer, NamespacedObjectsWithoutANamespaceGetTheReleaseNamespace) {
  TempDir repo;
  scoped_chart(repo.path());
  ClusterInfo cluster{"v1.36.2", {"served.example/v1", "served.example/v1/Served", "served.example/v1/Local"},
                      {"served.example/v1/Served"}};
  auto r = render({"helm", with_tool("namespace: demo"), repo.path(), "c", {}, &cluster});
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"CustomResourceDefinition/widgets.example.com",
                                               "CustomResourceDefinition/gadgets.example.com", "ServiceAccount/demo/sa",
                                               "ConfigMap/other/elsewhere", "ClusterRole/role", "Gadget/g", "Local/demo/l",
                                               "Mystery/m", "Served/s", "Widget/demo/w"}));  // in helm's install order
  EXPECT_EQ(r.diagnostics(),
            "c/templates/objects.yaml: warning: unknown.example/v1 Mystery is a kind neither the cluster, the render's CRDs "
            "nor driftless knows, so it gets no namespace; set metadata.namespace in the template if it is namespaced "
            "(Mystery/m)\n");
}

// Mapped as Argo CD maps Helm's hooks: kept and marked with the phase the kube sink runs them in.
TEST(HelmRenderer, HooksAreMappedToSyncPhasesAndTestsAreLeftOutAndNamed) {
  TempDir repo;
  web_chart(repo.path());
  write_file(repo / "charts/web/templates/migrate.yaml",
             "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n"
             "  annotations: {helm.sh/hook: 'pre-install,pre-upgrade', helm.sh/hook-weight: '1'}\n"
             "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: notify\n"
             "  annotations: {helm.sh/hook: post-upgrade, helm.sh/hook-delete-policy: hook-succeeded}\n");
  auto r = render({"helm", with_tool("skipTests: false"), repo.path(), "charts/web", {}, nullptr});
  auto mark = [&](const std::string& id) {
    const KubeObject* object = find(r, id);
    const Value* value = object ? object->body.at_path({"metadata", "annotations", "driftless.dev/hook"}) : nullptr;
    return value ? value->as_string() : "";
  };
  EXPECT_EQ(mark("Job/default/migrate"), "PreSync");
  EXPECT_EQ(mark("Job/default/notify"), "PostSync");
  EXPECT_EQ(find(r, "Pod/default/web-test"), nullptr);
  EXPECT_NE(find(r, "Deployment/default/web"), nullptr);
  EXPECT_EQ(r.diagnostics(),
            "charts/web/templates/tests/test.yaml: warning: the object is a hook (helm.sh/hook: test); driftless runs only "
            "PreSync, Sync, PostSync and SyncFail hooks (Helm's pre- and post-install and -upgrade), so no sync applies it "
            "and it is left out (Pod/web-test)\n");
}

TEST(HelmRenderer, MissingDependencyAndTemplateErrorsBecomeDiagnostics) {
  TempDir repo;
  web_chart(repo.path());
  fs::remove_all(repo / "charts/web/charts");
  auto missing = render({"helm", with_tool(), repo.path(), "charts/web", {}, nullptr});
  EXPECT_TRUE(missing.ids().empty());
  EXPECT_EQ(missing.diagnostics(), "charts/web/Chart.yaml:5: error: dependency 'sub' names no repository and is not in "
                                   "charts/: add its repository (https://, oci:// or file://) or vendor it\n");

  TempDir broken;
  write_file(broken / "c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");
  write_file(broken / "c/templates/bad.yaml", "kind: {{ .Values.x | nosuchfunction }}\n");
  auto r = render({"helm", with_tool(), broken.path(), "c", {}, nullptr});
  EXPECT_NE(r.diagnostics().find("nosuchfunction"), std::string::npos) << r.diagnostics();
  EXPECT_EQ(r.diagnostics().find(broken.path().string()), std::string::npos) << r.diagnostics();
}

TEST(HelmRenderer, NotAChartIsAClearError) {
  TempDir repo;
  write_file(repo / "plain/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  auto r = render({"helm", with_tool(), repo.path(), "plain", {}, nullptr});
  EXPECT_NE(r.diagnostics().find("plain: error: no Chart.yaml here: not a Helm chart"), std::string::npos) << r.diagnostics();
}

// ---- hostile repositories

TEST(HelmRendererHostile, AValuesFileThatIsASymlinkOutIsRefused) {
  TempDir dir;
  web_chart(dir / "repo");
  write_file(dir / "outside/values.yaml", "color: stolen\n");
  fs::create_symlink(dir / "outside/values.yaml", dir / "repo/clusters/prod/evil.yaml");
  auto r = render({"helm", with_tool("valuesFiles: [clusters/prod/evil.yaml]"), dir / "repo", "charts/web", {}, nullptr});
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("clusters/prod/evil.yaml: error: valuesFiles: 'clusters/prod/evil.yaml' escapes the artifact"),
            std::string::npos)
      << r.diagnostics();
}

TEST(HelmRendererHostile, AGigabyteValuesFileIsRefusedWithoutReadingIt) {
  TempDir repo;
  web_chart(repo.path());
  sparse_file(repo / "clusters/prod/huge.yaml", 1024L * 1024 * 1024);
  auto r = render({"helm", with_tool("valuesFiles: [clusters/prod/huge.yaml]"), repo.path(), "charts/web", {}, nullptr});
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("valuesFiles: 'clusters/prod/huge.yaml' is 1073741824 bytes, over the limit of 16777216 "
                                 "bytes (maxFileSize)"),
            std::string::npos)
      << r.diagnostics();
}

TEST(HelmRendererHostile, DotDotInPathSettingsIsRefused) {
  TempDir repo;
  web_chart(repo.path());
  auto values = render({"helm", with_tool("valuesFiles: [../../etc/passwd]"), repo.path(), "charts/web", {}, nullptr});
  EXPECT_NE(values.config_error.find("valuesFiles: '../../etc/passwd' must be a path inside the source"), std::string::npos)
      << values.config_error;
  auto chart = render({"helm", with_tool("chart: ../elsewhere"), repo.path(), "charts/web", {}, nullptr});
  EXPECT_NE(chart.config_error.find("chart: '../elsewhere' must be a path inside the source"), std::string::npos)
      << chart.config_error;
}

TEST(HelmRendererHostile, AChartWithASymlinkOutIsNotRendered) {
  TempDir dir;
  web_chart(dir / "repo");
  write_file(dir / "outside/secret.txt", "s3cr3t");
  fs::create_symlink(dir / "outside/secret.txt", dir / "repo/charts/web/files-secret.txt");
  write_file(dir / "repo/charts/web/templates/leak.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata: {s: {{ .Files.Get \"files-secret.txt\" | quote }}}\n");
  auto r = render({"helm", with_tool(), dir / "repo", "charts/web", {}, nullptr});
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("charts/web/files-secret.txt: error: symlink points outside the artifact; it is not read "
                                 "(not handed to helm, which would read it)"),
            std::string::npos)
      << r.diagnostics();
  EXPECT_EQ(r.diagnostics().find("s3cr3t"), std::string::npos);
}

TEST(HelmRendererHostile, ASymlinkLoopInTheChartIsRefused) {
  TempDir repo;
  web_chart(repo.path());
  fs::create_directory_symlink(repo / "charts/web", repo / "charts/web/templates/loop");
  auto r = render({"helm", with_tool(), repo.path(), "charts/web", {}, nullptr});
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("charts/web/templates/loop: error: symlink loop"), std::string::npos) << r.diagnostics();
}

TEST(HelmRendererHostile, TemplatesCannotReadFilesOutsideTheChart) {
  TempDir dir;
  web_chart(dir / "repo");
  write_file(dir / "outside/secret.txt", "s3cr3t");
  write_file(dir / "repo/charts/web/templates/leak.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\n"
             "data: {s: {{ .Files.Get \"../../../outside/secret.txt\" | quote }}}\n");
  auto r = render({"helm", with_tool(), dir / "repo", "charts/web", {}, nullptr});
  EXPECT_EQ(r.diagnostics(), "");
  const KubeObject* leak = find(r, "ConfigMap/default/leak");
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->body.at_path({"data", "s"})->as_string(), "");  // helm's .Files holds only the chart's own files
}

TEST(HelmRendererHostile, AChartFolderThatIsASymlinkOutIsRefused) {
  TempDir dir;
  web_chart(dir / "outside");
  write_file(dir / "repo/readme.md", "x");
  fs::create_directory_symlink(dir / "outside/charts/web", dir / "repo/web");
  auto r = render({"helm", with_tool(), dir / "repo", "web", {}, nullptr});
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("escapes the artifact"), std::string::npos) << r.diagnostics();
}

TEST(HelmRendererHostile, ATemplateThatEatsMemoryIsStoppedAtTheLimit) {
  TempDir repo;
  write_file(repo / "greedy/Chart.yaml", "apiVersion: v2\nname: greedy\nversion: 0.1.0\n");
  write_file(repo / "greedy/templates/cm.yaml", "{{ range until 2000000000 }}x{{ end }}\n");
  auto r = render({"helm", with_tool("maxMemory: 268435456"), repo.path(), "greedy", {}, nullptr});
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("greedy/Chart.yaml: error: helm ran out of memory: it may use at most 256 MiB (268435456 bytes)"),
            std::string::npos)
      << r.diagnostics();
  // the process that ran helm goes on: the next render works
  TempDir fine;
  web_chart(fine.path());
  EXPECT_EQ(render({"helm", with_tool(), fine.path(), "charts/web", {}, nullptr}).diagnostics(), "");
}
