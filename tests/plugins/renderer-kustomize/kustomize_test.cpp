// The kustomize renderer plugin with the real kustomize binary of tests/env.
#include <gtest/gtest.h>

#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string with_tool(const std::string& more = "") { return block_with_tool("kustomizePath", "KUSTOMIZE", more); }

Rendered build(const fs::path& root, const std::string& path, const std::string& more = "") {
  return render({"kustomize", with_tool(more), root, path, {}, nullptr});
}

void base_and_overlay(const fs::path& repo) {
  write_file(repo / "apps/base/kustomization.yaml", "resources: [deployment.yaml]\n");
  write_file(repo / "apps/base/deployment.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n"
             "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n");
  write_file(repo / "apps/prod/kustomization.yaml",
             "resources: [../base]\nnamespace: prod\nnamePrefix: prod-\nconfigMapGenerator:\n- name: settings\n  literals: [MODE=on]\n");
}

}  // namespace

TEST(KustomizeRenderer, BuildsAnOverlayWithItsBaseInsideTheArtifact) {
  TempDir repo;
  base_and_overlay(repo.path());
  auto r = build(repo.path(), "apps/prod");
  EXPECT_EQ(r.diagnostics(), "");
  ASSERT_EQ(r.ids().size(), 2u);
  EXPECT_EQ(r.ids()[1], "Deployment/prod/prod-web");
  EXPECT_EQ(r.ids()[0].rfind("ConfigMap/prod/prod-settings-", 0), 0u) << r.ids()[0];
  EXPECT_EQ(r.result.objects[1].origin.file, "apps/prod/kustomization.yaml");
  // the render cache re-renders when the base changes, too
  EXPECT_EQ(r.result.read_folders, (std::vector<std::string>{"apps/prod", "apps/base"}));
  EXPECT_TRUE(r.result.cacheable);
  // kustomize's output goes through the same reader as files: "on" stays a string here
  EXPECT_EQ(r.result.objects[0].body.at_path({"data", "MODE"})->as_string(), "on");
}

TEST(KustomizeRenderer, EachBuildsEveryKustomizationNotUsedAsABase) {
  TempDir repo;
  base_and_overlay(repo.path());
  write_file(repo / "apps/other/kustomization.yaml", "resources: [cm.yaml]\n");
  write_file(repo / "apps/other/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n");
  auto r = build(repo.path(), "apps", "build: each");
  EXPECT_EQ(r.diagnostics(), "");
  ASSERT_EQ(r.ids().size(), 3u);  // the base is built once, through the overlay
  EXPECT_EQ(r.ids()[0], "ConfigMap/other");
  EXPECT_EQ(r.ids()[2], "Deployment/prod/prod-web");
}

TEST(KustomizeRenderer, ErrorsOfKustomizeBecomeDiagnosticsWithRelativePaths) {
  TempDir repo;
  write_file(repo / "app/kustomization.yaml", "resources: [cm.yaml]\npatches: [{path: patch.yaml}]\n");
  write_file(repo / "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
  write_file(repo / "app/patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: missing}\n");
  auto r = build(repo.path(), "app");
  ASSERT_EQ(r.result.diagnostics.size(), 1u) << r.diagnostics();
  const auto& d = r.result.diagnostics[0];
  EXPECT_EQ(d.file, "app/kustomization.yaml");
  EXPECT_NE(d.message.find("kustomize failed (exit code 1)"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("no resource matches strategic merge patch \"Deployment.v1.apps/missing"), std::string::npos)
      << d.message;
  EXPECT_EQ(d.message.find(repo.path().string()), std::string::npos) << "absolute path leaked: " << d.message;
}

TEST(KustomizeRenderer, TimeoutAndOutputCapStopKustomize) {
  TempDir repo;
  base_and_overlay(repo.path());
  auto slow = build(repo.path(), "apps/prod", "timeout: 1ms");
  EXPECT_NE(slow.diagnostics().find("kustomize did not finish within"), std::string::npos) << slow.diagnostics();
  auto big = build(repo.path(), "apps/prod", "maxOutputSize: 100");
  EXPECT_NE(big.diagnostics().find("kustomize wrote more than 100 bytes to stdout"), std::string::npos) << big.diagnostics();
  EXPECT_TRUE(big.ids().empty());
}

TEST(KustomizeRenderer, MissingToolSaysWhatToDo) {
  TempDir repo;
  base_and_overlay(repo.path());
  auto r = render({"kustomize", "{kustomizePath: /nonexistent/kustomize}", repo.path(), "apps/prod", {}, nullptr});
  EXPECT_NE(r.diagnostics().find("kustomize not found at /nonexistent/kustomize (kustomizePath)"), std::string::npos)
      << r.diagnostics();
}

TEST(KustomizeRenderer, ToolVersionComesFromThePath) {
  const std::string tool = test_env()["KUSTOMIZE"];
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", fs::path(tool).parent_path().c_str(), 1);
  auto version = renderer_factory("kustomize").tool_version();
  setenv("PATH", "/nonexistent", 1);
  auto missing = renderer_factory("kustomize").tool_version();
  setenv("PATH", old_path.c_str(), 1);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, "kustomize v5.8.2");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "kustomize not found on PATH: install kustomize or set kustomizePath");
}

// A base in a repository of the tests/env Git smart-HTTP server, as kustomize
// writes a remote base (credentials in the URL).
std::string remote_base_url(const std::string& name) {
  auto env = test_env();
  TempDir work;
  write_file(work / "src/base/kustomization.yaml", "resources: [cm.yaml]\n");
  write_file(work / "src/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-remote}\n");
  const std::string src = (work / "src").string();
  const std::string bare = env["GIT_REPOS_DIR"] + "/" + name + ".git";
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"git", "-C", src, "init", "-q", "-b", "main"},
           {"git", "-C", src, "add", "."},
           {"git", "-C", src, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base"},
           {"git", "clone", "-q", "--bare", src, bare}}) {
    auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  std::string url = env["GIT_HTTP_URL"];  // http://127.0.0.1:PORT/
  url.insert(url.find("://") + 3, env["GIT_HTTP_USER"] + ":" + env["GIT_HTTP_PASSWORD"] + "@");
  return url + name + ".git//base?ref=main";
}

TEST(KustomizeRenderer, RemoteBasesFromARealGitServerWhenAllowed) {
  TempDir repo;
  const std::string name = "remote-base-" + repo.path().filename().string();
  const std::string url = remote_base_url(name);
  write_file(repo / "app/kustomization.yaml", "resources:\n- " + url + "\n");
  auto allowed = build(repo.path(), "app", "allowRemoteBases: true");
  EXPECT_EQ(allowed.diagnostics(), "");
  EXPECT_EQ(allowed.ids(), (std::vector<std::string>{"ConfigMap/from-remote"}));
  EXPECT_FALSE(allowed.result.cacheable);  // the remote may change while the source does not

  auto refused = build(repo.path(), "app");
  EXPECT_TRUE(refused.ids().empty());
  EXPECT_NE(refused.diagnostics().find("is a remote base (remote bases are refused"), std::string::npos) << refused.diagnostics();
  EXPECT_NE(refused.diagnostics().find("http://***@127.0.0.1"), std::string::npos) << refused.diagnostics();
  EXPECT_EQ(refused.diagnostics().find(test_env()["GIT_HTTP_PASSWORD"]), std::string::npos) << "credentials leaked";
  std::filesystem::remove_all(test_env()["GIT_REPOS_DIR"] + "/" + name + ".git");
}

// ---- hostile repositories

TEST(KustomizeRendererHostile, DotDotInThePathIsRefused) {
  TempDir dir;
  base_and_overlay(dir / "outside");
  write_file(dir / "repo/readme.md", "x");
  auto r = build(dir / "repo", "../outside/apps/prod");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("contains '..'"), std::string::npos) << r.diagnostics();
}

TEST(KustomizeRendererHostile, AGigabyteResourceIsRefusedBeforeKustomizeRuns) {
  TempDir repo;
  write_file(repo / "app/kustomization.yaml", "resources: [huge.yaml]\n");
  sparse_file(repo / "app/huge.yaml", 1024L * 1024 * 1024);
  auto r = build(repo.path(), "app");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("app/huge.yaml: error: file is 1073741824 bytes, over the limit of 16777216 bytes "
                                 "(maxFileSize) (not handed to kustomize, which would read it)"),
            std::string::npos)
      << r.diagnostics();
}

TEST(KustomizeRendererHostile, ABaseOutsideTheArtifactIsRefused) {
  TempDir dir;
  write_file(dir / "outside/kustomization.yaml", "resources: [secret.yaml]\n");
  write_file(dir / "outside/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n");
  write_file(dir / "repo/apps/app/kustomization.yaml", "resources: [../../../outside]\n");
  auto r = build(dir / "repo", "apps/app");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("apps/app/kustomization.yaml: error: '../../../outside' in resources leaves the artifact"),
            std::string::npos)
      << r.diagnostics();
}

TEST(KustomizeRendererHostile, RemoteBasesAreRefusedUnlessAllowed) {
  TempDir repo;
  write_file(repo / "app/kustomization.yaml",
             "resources:\n- https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v3.3.1\n"
             "- github.com/acme/base\n");
  auto r = build(repo.path(), "app");
  EXPECT_TRUE(r.ids().empty());
  const std::string d = r.diagnostics();
  EXPECT_NE(d.find("app/kustomization.yaml: error: 'https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v3.3.1' "
                   "in resources is a remote base (remote bases are refused; set allowRemoteBases: "
                   "true to allow them)"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("'github.com/acme/base' in resources"), std::string::npos) << d;
}

TEST(KustomizeRendererHostile, AMissingLocalBaseIsRefusedBeforeKustomizeFetchesIt) {
  TempDir repo;
  write_file(repo / "app/kustomization.yaml", "resources: [example.com/acme/base]\n");
  auto r = build(repo.path(), "app");
  EXPECT_NE(r.diagnostics().find("'example.com/acme/base' in resources does not exist in the artifact (remote bases are refused"),
            std::string::npos)
      << r.diagnostics();
}

TEST(KustomizeRendererHostile, ARemoteBaseHiddenInALocalBaseIsRefusedToo) {
  TempDir repo;
  write_file(repo / "base/kustomization.yaml", "resources: [git@github.com:acme/secrets.git]\n");
  write_file(repo / "app/kustomization.yaml", "resources: [../base]\n");
  auto r = build(repo.path(), "app");
  EXPECT_NE(r.diagnostics().find("base/kustomization.yaml: error: 'git@github.com:acme/secrets.git'"), std::string::npos)
      << r.diagnostics();
}

TEST(KustomizeRendererHostile, SymlinksOutOfAKustomizationAreRefused) {
  TempDir dir;
  write_file(dir / "outside/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n");
  write_file(dir / "repo/app/kustomization.yaml", "resources: [secret.yaml]\n");
  fs::create_symlink(dir / "outside/secret.yaml", dir / "repo/app/secret.yaml");
  auto r = build(dir / "repo", "app");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("app/secret.yaml: error: symlink points outside the artifact"), std::string::npos)
      << r.diagnostics();
}

TEST(KustomizeRendererHostile, FilesAboveTheKustomizationAreRefusedByTheLoadRestrictor) {
  TempDir repo;
  write_file(repo / "shared/patch.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n");
  write_file(repo / "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
  write_file(repo / "app/kustomization.yaml", "resources: [cm.yaml]\npatches:\n- path: ../shared/patch.yaml\n");
  auto r = build(repo.path(), "app");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("security; file"), std::string::npos) << r.diagnostics();
}

// Every field kustomize reads a file or folder from, naming one outside the
// repository: refused before kustomize runs, and the outside content never
// reaches an object.
TEST(KustomizeRendererHostile, EveryFieldThatReadsAFileIsConfinedToTheArtifact) {
  TempDir dir;
  write_file(dir / "outside/x.yaml",
             "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: stolen}\nlabels: {stolen: s3cr3t}\n"
             "fieldSpecs: [{path: metadata/labels, create: true}]\n");
  write_file(dir / "repo/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
  const std::string out = "../../outside/x.yaml";
  const std::vector<std::pair<std::string, std::string>> fields{
      {"transformers", "transformers: [" + out + "]"},
      {"generators", "generators: [" + out + "]"},
      {"validators", "validators: [" + out + "]"},
      {"patchesStrategicMerge", "patchesStrategicMerge: [" + out + "]"},
      {"patches.path", "patches: [{path: " + out + "}]"},
      {"patchesJson6902.path", "patchesJson6902: [{path: " + out + ", target: {kind: ConfigMap, name: cm}}]"},
      {"replacements.path", "replacements: [{path: " + out + "}]"},
      {"crds", "crds: [" + out + "]"},
      {"configurations", "configurations: [" + out + "]"},
      {"openapi.path", "openapi: {path: " + out + "}"},
      {"configMapGenerator.files", "configMapGenerator: [{name: g, files: [key=" + out + "]}]"},
      {"configMapGenerator.envs", "configMapGenerator: [{name: g, envs: [" + out + "]}]"},
      {"configMapGenerator.env", "configMapGenerator: [{name: g, env: " + out + "}]"},
      {"secretGenerator.files", "secretGenerator: [{name: g, files: [/etc/passwd]}]"},
      {"secretGenerator.envs", "secretGenerator: [{name: g, envs: [" + out + "]}]"},
      {"helmGlobals.chartHome", "helmGlobals: {chartHome: ../../outside}"},
      {"helmCharts.valuesFile", "helmCharts: [{name: c, valuesFile: " + out + "}]"},
      {"helmCharts.additionalValuesFiles", "helmCharts: [{name: c, additionalValuesFiles: [" + out + "]}]"},
      {"helmChartInflationGenerator.values", "helmChartInflationGenerator: [{chartName: c, values: " + out + "}]"},
  };
  for (const auto& [field, line] : fields) {
    write_file(dir / "repo/app/kustomization.yaml", "resources: [cm.yaml]\n" + line + "\n");
    auto r = build(dir / "repo", "app");
    EXPECT_TRUE(r.ids().empty()) << field;
    EXPECT_NE(r.diagnostics().find("app/kustomization.yaml: error: '"), std::string::npos) << field << "\n" << r.diagnostics();
    EXPECT_NE(r.diagnostics().find("' in " + field + " leaves the artifact"), std::string::npos) << field << "\n" << r.diagnostics();
    EXPECT_EQ(r.diagnostics().find("s3cr3t"), std::string::npos) << field;
  }
}

TEST(KustomizeRendererHostile, AFieldDriftlessDoesNotKnowIsRefused) {
  TempDir repo;
  write_file(repo / "app/kustomization.yaml", "resources: []\nfutureFiles: [../../etc/passwd]\n");
  auto r = build(repo.path(), "app");
  EXPECT_NE(r.diagnostics().find("app/kustomization.yaml: error: 'futureFiles' is not a kustomization field driftless knows, "
                                 "so it cannot tell which files it reads"),
            std::string::npos)
      << r.diagnostics();
}

TEST(KustomizeRenderer, BuildsFromACopyHoldingWhatTheKustomizationReads) {
  TempDir repo;
  base_and_overlay(repo.path());
  write_file(repo / "apps/prod/.env", "COLOR=blue\n");          // hidden files are read too
  write_file(repo / "apps/shared/settings.properties", "x=1\n");  // a file above the kustomization
  write_file(repo / "apps/prod/transformer.yaml",
             "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: team}\nlabels: {team: web}\n"
             "fieldSpecs: [{path: metadata/labels, create: true}]\n");
  fs::create_directory_symlink("../base", repo / "apps/prod/base-link");  // a link inside the artifact
  write_file(repo / "apps/prod/kustomization.yaml",
             "resources: [base-link]\nnamespace: prod\ntransformers: [transformer.yaml]\n"
             "configMapGenerator:\n- {name: env, envs: [.env]}\n- {name: shared, files: [../shared/settings.properties]}\n");
  auto r = build(repo.path(), "apps/prod");
  // the load restrictor still refuses the file above the kustomization, naming it as the repository does
  EXPECT_NE(r.diagnostics().find("security; file 'apps/shared/settings.properties' is not in or below 'apps/prod'"),
            std::string::npos)
      << r.diagnostics();
  write_file(repo / "apps/prod/kustomization.yaml",
             "resources: [base-link]\nnamespace: prod\ntransformers: [transformer.yaml]\n"
             "configMapGenerator:\n- {name: env, envs: [.env]}\n");
  auto ok = build(repo.path(), "apps/prod");
  EXPECT_EQ(ok.diagnostics(), "");
  ASSERT_EQ(ok.ids().size(), 2u) << ok.diagnostics();
  EXPECT_EQ(ok.ids()[0].rfind("ConfigMap/prod/env-", 0), 0u);
  EXPECT_EQ(ok.result.objects[0].body.at_path({"data", "COLOR"})->as_string(), "blue");
  EXPECT_EQ(ok.result.objects[1].body.at_path({"metadata", "labels", "team"})->as_string(), "web");
}
