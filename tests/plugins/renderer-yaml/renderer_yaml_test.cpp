// The yaml renderer plugin, loaded as the core loads it, on real folders.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string config_map(const std::string& name) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n";
}

Rendered render_yaml(const fs::path& root, const std::string& path, const std::string& config = "{}") {
  return render({"yaml", config, root, path, {}, nullptr});
}

}  // namespace

TEST(YamlRenderer, ReadsEveryManifestRecursivelyInByteOrder) {
  TempDir repo;
  write_file(repo / "apps/b.yaml", config_map("b"));
  write_file(repo / "apps/a/z.yml", config_map("z") + "---\n" + config_map("z2"));
  write_file(repo / "apps/c.json", R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})");
  write_file(repo / "apps/readme.md", "not yaml");
  write_file(repo / "apps/.hidden/x.yaml", config_map("hidden"));
  auto r = render_yaml(repo.path(), "apps");
  EXPECT_EQ(r.diagnostics(), "info: 1 documentation or image file not read (apps/readme.md)\n");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/z", "ConfigMap/z2", "ConfigMap/b", "ConfigMap/c"}));
  EXPECT_EQ(r.result.objects[1].origin.file, "apps/a/z.yml");
  EXPECT_EQ(r.result.objects[1].origin.document, 1);
  EXPECT_EQ(r.result.objects[1].origin.line, 6);
}

TEST(YamlRenderer, IncludeAndExcludeGlobs) {
  TempDir repo;
  write_file(repo / "a.yaml", config_map("a"));
  write_file(repo / "deep/er/b.yaml", config_map("b"));
  write_file(repo / "deep/er/c.yml", config_map("c"));
  write_file(repo / "tests/t.yaml", config_map("t"));
  auto r = render_yaml(repo.path(), "", "{include: ['**/*.yaml'], exclude: ['tests/**']}");
  EXPECT_EQ(r.diagnostics(), "deep/er/c.yml: warning: not read: the file matches none of the include globs (**/*.yaml); "
                             "add it to include, exclude it, or render it with a renderer that reads it\n");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/a", "ConfigMap/b"}));
  auto anchored = render_yaml(repo.path(), "", "{include: ['deep/*/c.yml'], exclude: ['*.yaml']}");
  EXPECT_EQ(anchored.diagnostics(), "");
  EXPECT_EQ(anchored.ids(), (std::vector<std::string>{"ConfigMap/c"}));
}

TEST(YamlRenderer, AKustomizationOrAChartBelowIsAnErrorNamingTheRendererThatBuildsIt) {
  TempDir repo;
  write_file(repo / "clusters/dev/app.yaml", config_map("app"));
  write_file(repo / "clusters/dev/flux-system/kustomization.yaml",
             "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [gotk-sync.yaml]\n");
  write_file(repo / "clusters/dev/chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n");
  write_file(repo / "clusters/dev/chart/templates/cm.yaml", "{{ if .Values.on }}\n");
  auto r = render_yaml(repo.path(), "clusters/dev");
  EXPECT_EQ(r.diagnostics(),
            "clusters/dev/chart/Chart.yaml: error: a Helm chart is here, and the yaml renderer reads manifest files only: "
            "use the auto renderer (the default when a pipeline names no renderers), which builds it with helm, or the "
            "helm renderer; or exclude clusters/dev/chart/Chart.yaml\n"
            "clusters/dev/flux-system/kustomization.yaml: error: a kustomization is here, and the yaml renderer reads "
            "manifest files only: use the auto renderer (the default when a pipeline names no renderers), which builds it "
            "with kustomize, or the kustomize renderer; or exclude clusters/dev/flux-system/kustomization.yaml\n");
  // Left out on purpose, the folder is read as plain files.
  auto excluded = render_yaml(repo.path(), "clusters/dev", "{exclude: ['flux-system/kustomization.yaml', 'chart/**']}");
  EXPECT_EQ(excluded.diagnostics(), "");
  EXPECT_EQ(excluded.ids(), std::vector<std::string>{"ConfigMap/app"});
  // The rendered folder itself.
  auto top = render_yaml(repo.path(), "clusters/dev/flux-system");
  EXPECT_TRUE(has_errors(top.result.diagnostics));
  EXPECT_TRUE(top.result.objects.empty());
}

TEST(YamlRenderer, GlobsWithDotSegmentsMeanWhatTheySay) {
  TempDir repo;
  write_file(repo / "a.yaml", config_map("a"));
  write_file(repo / "deep/er/b.yaml", config_map("b"));
  const std::vector<std::string> both{"ConfigMap/a", "ConfigMap/b"};
  EXPECT_EQ(render_yaml(repo.path(), "", "{include: ['*.yaml']}").ids(), both);
  EXPECT_EQ(render_yaml(repo.path(), "", "{include: ['./deep/./er//*.yaml', './*.yaml']}").ids(), both);
  // "./x" is anchored to the rendered folder, like "/x".
  EXPECT_EQ(render_yaml(repo.path(), "", "{include: ['./*.yaml'], exclude: ['deep/**']}").ids(),
            (std::vector<std::string>{"ConfigMap/a"}));
  const auto up = render_yaml(repo.path(), "", "{include: ['../*.yaml']}");
  EXPECT_NE(up.config_error.find("include: '../*.yaml' is not a usable glob"), std::string::npos) << up.config_error;
}

TEST(YamlRenderer, EveryFileNotReadIsNamed) {
  TempDir repo;
  write_file(repo / "app/cm.yaml", config_map("cm"));
  write_file(repo / "app/main.jsonnet", "{}");
  write_file(repo / "app/lib/schema.cue", "x: 1");
  write_file(repo / "app/README.md", "docs");
  write_file(repo / "app/LICENSE", "MIT");
  write_file(repo / "app/logo.png", "png");
  write_file(repo / "app/notes.txt", "notes");
  write_file(repo / "app/skipped.sh", "echo");
  write_file(repo / "app/ignored.tf", "x");
  write_file(repo / "app/.driftlessignore", "*.tf\n");
  auto r = render_yaml(repo.path(), "app", "{exclude: ['*.sh']}");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/cm"}));
  // Named one by one, in path order; what is left out on purpose is not mentioned.
  EXPECT_EQ(r.diagnostics(),
            "app/lib/schema.cue: warning: not read: the file matches none of the include globs (*.yaml, *.yml, *.json); "
            "add it to include, exclude it, or render it with a renderer that reads it\n"
            "app/main.jsonnet: warning: not read: driftless does not evaluate Jsonnet; render it to YAML (jsonnet -y) in "
            "CI and commit the output, or exclude it\n"
            "info: 4 documentation or image files not read (app/LICENSE, app/README.md, app/logo.png, ...)\n");
}

// The annotation the kube sink reads on a kept hook (its phases), "" for an ordinary object.
std::string hook_mark(const test::Rendered& r, std::size_t index) {
  const Value* mark = r.result.objects.at(index).body.at_path({"metadata", "annotations", "driftless.dev/hook"});
  return mark ? mark->as_string() : "";
}

TEST(YamlRenderer, HooksAreKeptAndMarkedAndWhatNoSyncRunsIsLeftOutWithAWarning) {
  TempDir repo;
  write_file(repo / "hooks.yaml",
             config_map("plain") +
                 "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: apps\n"
                 "  annotations: {helm.sh/hook: 'pre-install,pre-upgrade,pre-delete'}\n"
                 "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: smoke-\n"
                 "  annotations: {argocd.argoproj.io/hook: 'PostSync,SyncFail', helm.sh/hook: pre-install}\n"
                 "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: skipped\n"
                 "  annotations: {argocd.argoproj.io/hook: Skip}\n"
                 "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: cleanup\n"
                 "  annotations: {helm.sh/hook: post-delete}\n"
                 "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n"
                 "  annotations: {argocd.argoproj.io/sync-wave: 'two'}\n");
  auto r = render_yaml(repo.path(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/plain", "Job/apps/migrate", "Job/", "ConfigMap/late"}));
  EXPECT_EQ(hook_mark(r, 0), "");
  EXPECT_EQ(hook_mark(r, 1), "PreSync");  // Helm's pre-install and pre-upgrade are Argo CD's PreSync
  EXPECT_EQ(hook_mark(r, 2), "PostSync,SyncFail");  // Argo CD's annotation wins over Helm's
  EXPECT_EQ(r.diagnostics(),
            "hooks.yaml:6: warning: the hook (helm.sh/hook: pre-install,pre-upgrade,pre-delete) runs as PreSync only: "
            "driftless runs no pre-delete hooks (Job/apps/migrate)\n"
            "hooks.yaml:19: warning: the object is a hook (argocd.argoproj.io/hook: Skip); it is marked Skip: no sync "
            "applies it and it is left out (Job/skipped)\n"
            "hooks.yaml:25: warning: the object is a hook (helm.sh/hook: post-delete); driftless runs only PreSync, Sync, "
            "PostSync and SyncFail hooks (Helm's pre- and post-install and -upgrade), so no sync applies it and it is "
            "left out (Job/cleanup)\n"
            "hooks.yaml:31: error: argocd.argoproj.io/sync-wave 'two' is not a whole number (ConfigMap/late)\n");
}

TEST(YamlRenderer, DriftlessIgnoreFollowsGitignoreRules) {
  TempDir repo;
  write_file(repo / "p/.driftlessignore",
             "# comment\n"
             "*.draft.yaml\n"      // any depth, by name
             "/top-only.yaml\n"    // anchored to this folder
             "build/\n"            // folders only
             "docs/**\n"           // everything inside
             "secrets*.yaml\n"
             "!secrets-public.yaml\n"  // negation re-includes
             "**/gen/*.yaml\n");
  write_file(repo / "p/keep.yaml", config_map("keep"));
  write_file(repo / "p/x.draft.yaml", config_map("draft"));
  write_file(repo / "p/sub/y.draft.yaml", config_map("draft2"));
  write_file(repo / "p/top-only.yaml", config_map("top"));
  write_file(repo / "p/sub/top-only.yaml", config_map("sub-top"));
  write_file(repo / "p/build/out.yaml", config_map("build"));
  write_file(repo / "p/build.yaml", config_map("build-file"));
  write_file(repo / "p/docs/d.yaml", config_map("docs"));
  write_file(repo / "p/secrets.yaml", config_map("secret"));
  write_file(repo / "p/secrets-public.yaml", config_map("public"));
  write_file(repo / "p/a/b/gen/g.yaml", config_map("gen"));
  write_file(repo / "p/nested/.driftlessignore", "local.yaml\n");
  write_file(repo / "p/nested/local.yaml", config_map("local"));
  write_file(repo / "p/nested/other.yaml", config_map("other"));
  write_file(repo / "p/local.yaml", config_map("outer-local"));
  auto r = render_yaml(repo.path(), "p");
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/build-file", "ConfigMap/keep", "ConfigMap/outer-local",
                                               "ConfigMap/other", "ConfigMap/public", "ConfigMap/sub-top"}));
}

TEST(YamlRenderer, MissingKindIsConfigurable) {
  TempDir repo;
  write_file(repo / "values.yaml", "replicas: 3\n");
  write_file(repo / "cm.yaml", config_map("cm"));
  auto error = render_yaml(repo.path(), "");
  EXPECT_NE(error.diagnostics().find("values.yaml:1: error: the document has no apiVersion or kind"), std::string::npos)
      << error.diagnostics();
  auto warning = render_yaml(repo.path(), "", "{missingKind: warning}");
  EXPECT_NE(warning.diagnostics().find("values.yaml:1: warning:"), std::string::npos) << warning.diagnostics();
  EXPECT_EQ(warning.ids(), (std::vector<std::string>{"ConfigMap/cm"}));
  auto ignore = render_yaml(repo.path(), "", "{missingKind: ignore}");
  EXPECT_EQ(ignore.diagnostics(), "");
  EXPECT_EQ(ignore.ids(), (std::vector<std::string>{"ConfigMap/cm"}));
  EXPECT_NE(render_yaml(repo.path(), "", "{missingKind: sometimes}").config_error, "");
}

TEST(YamlRenderer, ListsAreFlattenedAndEarlierStagesKept) {
  TempDir repo;
  write_file(repo / "list.yaml", "apiVersion: v1\nkind: List\nitems:\n- " + std::string("apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: one}\n") +
                                     "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: two}\n");
  KubeObject earlier{Value(Object()), Provenance{"earlier.yaml", 0, 1}};
  earlier.body.as_object().set("apiVersion", "v1");
  earlier.body.as_object().set("kind", "Namespace");
  earlier.body.as_object()["metadata"] = Value(Object());
  earlier.body.as_object()["metadata"].as_object().set("name", "ns");
  auto r = render({"yaml", "{}", repo.path(), "", {earlier}, nullptr});
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"Namespace/ns", "ConfigMap/one", "ConfigMap/two"}));
  EXPECT_EQ(r.result.objects[0].origin.file, "earlier.yaml");
  EXPECT_EQ(r.result.objects[2].origin.file, "list.yaml");
}

// ---- hostile repositories: a clear error, nothing outside the artifact read

TEST(YamlRendererHostile, SymlinksOutOfTheArtifactAndLoopsAreRefused) {
  TempDir dir;
  write_file(dir / "outside/secret.yaml", config_map("stolen"));
  write_file(dir / "repo/ok.yaml", config_map("ok"));
  fs::create_symlink(dir / "outside/secret.yaml", dir / "repo/file-link.yaml");
  fs::create_directory_symlink(dir / "outside", dir / "repo/dir-link");
  fs::create_directory_symlink(dir / "repo", dir / "repo/loop");
  write_file(dir / "outside/.driftlessignore", "ok.yaml\n");
  fs::create_symlink(dir / "outside/.driftlessignore", dir / "repo/.driftlessignore");
  auto r = render_yaml(dir / "repo", "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/ok"}));
  const std::string d = r.diagnostics();
  EXPECT_NE(d.find("file-link.yaml: error: symlink points outside the artifact"), std::string::npos) << d;
  EXPECT_NE(d.find("dir-link: error: symlink points outside the artifact"), std::string::npos) << d;
  EXPECT_NE(d.find("loop: error: symlink loop"), std::string::npos) << d;
  EXPECT_NE(d.find(".driftlessignore: error: '.driftlessignore' escapes the artifact"), std::string::npos) << d;
  EXPECT_EQ(d.find("stolen"), std::string::npos);
}

TEST(YamlRendererHostile, DotDotInThePathIsRefused) {
  TempDir dir;
  write_file(dir / "outside/x.yaml", config_map("stolen"));
  write_file(dir / "repo/ok.yaml", config_map("ok"));
  auto r = render_yaml(dir / "repo", "../outside");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("contains '..'"), std::string::npos) << r.diagnostics();
}

TEST(YamlRendererHostile, AGigabyteFileIsRefusedWithoutReadingIt) {
  TempDir repo;
  write_file(repo / "small.yaml", config_map("small"));
  sparse_file(repo / "huge.yaml", 1024L * 1024 * 1024);
  const auto start = std::chrono::steady_clock::now();
  auto r = render_yaml(repo.path(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // reading 1 GB would not be
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/small"}));
  EXPECT_NE(r.diagnostics().find("huge.yaml: error: file is 1073741824 bytes, over the limit of 16777216 bytes"),
            std::string::npos)
      << r.diagnostics();
}

TEST(YamlRendererHostile, TheFilesOfOneRenderAreCappedTogether) {
  TempDir repo;
  for (const char* name : {"a", "b", "c"}) write_file(repo / (std::string(name) + ".yaml"), config_map(name) + "# " + std::string(500, 'x') + "\n");
  auto r = render_yaml(repo.path(), "", "{maxTotalSize: 1200}");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/a", "ConfigMap/b"}));
  EXPECT_NE(r.diagnostics().find("c.yaml: error: the files read so far and this one add up to 1662 bytes, over "
                                 "maxTotalSize (1200 bytes); nothing more is read"),
            std::string::npos)
      << r.diagnostics();
  EXPECT_EQ(render_yaml(repo.path(), "").ids().size(), 3u);
  EXPECT_NE(render_yaml(repo.path(), "", "{maxTotalSize: 0}").config_error, "");
}

TEST(YamlRendererHostile, DocumentsWithoutKindAreNamedUpToTenPerFileAndCounted) {
  TempDir repo;
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "---\na: 1\n";
  write_file(repo / "many.yaml", many);
  auto r = render_yaml(repo.path(), "");
  const std::string d = r.diagnostics();
  EXPECT_EQ(std::count(d.begin(), d.end(), '\n'), 11) << d.substr(0, 2000);
  EXPECT_NE(d.find("many.yaml: error: and 199990 more documents in this file that are not Kubernetes objects"),
            std::string::npos)
      << d.substr(0, 2000);
}

TEST(YamlRendererHostile, AFifoIsNamedAndNeverOpened) {
  TempDir repo;
  write_file(repo / "ok.yaml", config_map("ok"));
  ASSERT_EQ(mkfifo((repo / "pipe.yaml").c_str(), 0600), 0);
  auto r = render_yaml(repo.path(), "");  // opening the FIFO would wait for a writer forever
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/ok"}));
  EXPECT_EQ(r.diagnostics(), "pipe.yaml: warning: the entry is a FIFO; it is not read\n");
  write_file(repo / ".driftlessignore", "");
  fs::remove(repo / ".driftlessignore");
  ASSERT_EQ(mkfifo((repo / ".driftlessignore").c_str(), 0600), 0);
  EXPECT_NE(render_yaml(repo.path(), "").diagnostics().find(".driftlessignore: error: '.driftlessignore': "),
            std::string::npos);
}

TEST(YamlRendererHostile, AliasBombIsRefused) {
  TempDir repo;
  std::string bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nlol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "lol" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) bomb += (k ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  write_file(repo / "bomb.yaml", bomb);
  auto r = render_yaml(repo.path(), "");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("bomb.yaml:"), std::string::npos);
  EXPECT_NE(r.diagnostics().find("an alias bomb?"), std::string::npos) << r.diagnostics();
}

TEST(YamlRendererHostile, VeryDeepNestingIsRefused) {
  TempDir repo;
  write_file(repo / "deep.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + std::string(100000, '[') +
                                     std::string(100000, ']') + "\n");
  auto r = render_yaml(repo.path(), "");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("deep.yaml:4: error: YAML nesting deeper than 256 levels"), std::string::npos)
      << r.diagnostics();
}
