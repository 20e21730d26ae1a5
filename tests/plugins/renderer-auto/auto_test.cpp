// The auto renderer picks kustomize, helm or plain YAML per folder.
#include <gtest/gtest.h>

#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string tools() { return block_with_tool("helmPath", "HELM", tool_setting("kustomizePath", "KUSTOMIZE")); }

std::string config_map(const std::string& name) { return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n"; }

// clusters/prod: plain YAML, an overlay with its base, and a chart.
void fleet(const fs::path& repo) {
  write_file(repo / "clusters/prod/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n");
  write_file(repo / "clusters/prod/apps/base/kustomization.yaml", "resources: [cm.yaml]\n");
  write_file(repo / "clusters/prod/apps/base/cm.yaml", config_map("from-base"));
  write_file(repo / "clusters/prod/apps/overlay/kustomization.yaml", "resources: [../base]\nnamePrefix: overlay-\n");
  write_file(repo / "clusters/prod/charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n");
  write_file(repo / "clusters/prod/charts/web/values.yaml", "name: from-chart\n");  // values, not a manifest
  write_file(repo / "clusters/prod/charts/web/templates/cm.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.name }}}\n");
}

// helm and kustomize scripts in `bin` that log each run to `bin/runs` and run the real tools.
std::string logging_tools(const fs::path& bin) {
  const auto env = test_env();
  for (const char* tool : {"helm", "kustomize"}) {
    const std::string real = env.at(tool == std::string("helm") ? "HELM" : "KUSTOMIZE");
    write_file(bin / tool, "#!/bin/sh\necho \"" + std::string(tool) + " $*\" >> " + (bin / "runs").string() + "\nexec " + real +
                               " \"$@\"\n");
    fs::permissions(bin / tool, fs::perms::owner_all);
  }
  return bin.string() + ":/usr/bin:/bin";
}

}  // namespace

TEST(AutoRenderer, PicksTheToolPerFolder) {
  TempDir repo;
  fleet(repo.path());
  auto r = render({"auto", tools(), repo.path(), "clusters/prod", {}, nullptr});
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"Namespace/prod", "ConfigMap/overlay-from-base", "ConfigMap/default/from-chart"}));
  EXPECT_EQ(r.result.objects[0].origin.file, "clusters/prod/namespace.yaml");
  EXPECT_EQ(r.result.objects[1].origin.file, "clusters/prod/apps/overlay/kustomization.yaml");
  EXPECT_EQ(r.result.objects[2].origin.file, "clusters/prod/charts/web/templates/cm.yaml");
}

TEST(AutoRenderer, TheRenderedFolderItselfCanBeAKustomizationOrAChart) {
  TempDir repo;
  fleet(repo.path());
  auto kustomized = render({"auto", tools(), repo.path(), "clusters/prod/apps/overlay", {}, nullptr});
  EXPECT_EQ(kustomized.ids(), (std::vector<std::string>{"ConfigMap/overlay-from-base"}));
  const std::string in_web = block_with_tool("helmPath", "HELM", tool_setting("kustomizePath", "KUSTOMIZE") + ", namespace: web");
  auto chart = render({"auto", in_web, repo.path(), "clusters/prod/charts/web", {}, nullptr});
  EXPECT_EQ(chart.ids(), (std::vector<std::string>{"ConfigMap/web/from-chart"}));  // as helm install -n web
  auto plain = render({"auto", tools(), repo.path(), "clusters/prod/apps/base/..", {}, nullptr});
  EXPECT_NE(plain.diagnostics().find("contains '..'"), std::string::npos) << plain.diagnostics();
}

TEST(AutoRenderer, TakesTheKeysOfAllThreeButNotTheirTargets) {
  std::vector<std::string> names;
  for (const auto& key : renderer_factory("auto").config_keys()) names.push_back(key.name);
  for (const char* expected : {"include", "exclude", "missingKind", "kustomizePath", "allowRemoteBases", "helmPath",
                               "releaseName", "valuesFiles", "values", "timeout", "maxOutputSize"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  EXPECT_EQ(std::count(names.begin(), names.end(), "timeout"), 1);
  EXPECT_EQ(std::find(names.begin(), names.end(), "chart"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "build"), names.end());
}

// ---- through the CLI, as a user runs it

TEST(AutoRendererCli, RenderShowsWhereEachObjectCameFrom) {
  TempDir repo;
  fleet(repo / "fleet");
  const auto env = test_env();
  write_file(repo / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: path, path: fleet}\n"
             "pipelines:\n- name: prod\n  source: fleet\n  path: clusters/prod\n"
             "  renderers: [{type: auto, helmPath: " + env.at("HELM") + ", kustomizePath: " + env.at("KUSTOMIZE") + "}]\n"
             "  sink: {type: dir, path: out}\n");
  auto r = run_driftless({"--config", (repo / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string(), "render"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# pipeline: prod, source: clusters/prod/namespace.yaml"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# pipeline: prod, source: clusters/prod/apps/overlay/kustomization.yaml"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# pipeline: prod, source: clusters/prod/charts/web/templates/cm.yaml"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("name: overlay-from-base"), std::string::npos) << r.out;
}

TEST(AutoRendererCli, PluginsReportsToolVersionsOrHowToInstallThem) {
  const auto env = test_env();
  const std::string tools = fs::path(env.at("HELM")).parent_path().string() + ":" +
                            fs::path(env.at("KUSTOMIZE")).parent_path().string() + ":/usr/bin:/bin";
  auto found = run_driftless({"plugins", "--plugin-dir", plugin_dir().string()}, {{"PATH", tools}});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  // auto names the binaries it would run, without running them
  EXPECT_NE(found.out.find("kustomize " + env.at("KUSTOMIZE") + " ("), std::string::npos) << found.out;
  EXPECT_NE(found.out.find("helm " + env.at("HELM") + " ("), std::string::npos) << found.out;
  EXPECT_NE(found.out.find("helm v3.22.0"), std::string::npos) << found.out;  // the helm plugin asks helm

  auto missing = run_driftless({"plugins", "--plugin-dir", plugin_dir().string()}, {{"PATH", "/usr/bin:/bin"}});
  EXPECT_NE(missing.err.find("helm not found on PATH: install helm or set helmPath"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("kustomize not found on PATH: install kustomize or set kustomizePath"), std::string::npos)
      << missing.err;
}

TEST(AutoRendererCli, PlainYamlRunsNoTool) {
  TempDir repo;
  write_file(repo / "fleet/clusters/prod/cm.yaml", config_map("plain"));
  const std::string path = logging_tools(repo / "bin");
  write_file(repo / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: path, path: fleet}\n"
             "pipelines:\n- name: prod\n  source: fleet\n  path: clusters/prod\n"
             "  renderers: [{type: auto, helmPath: " + (repo / "bin/helm").string() + ", kustomizePath: " +
                 (repo / "bin/kustomize").string() + "}]\n  sink: {type: dir, path: out}\n");
  auto r = run_driftless({"--config", (repo / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string(), "render"},
                         {{"PATH", path}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("name: plain"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(repo / "bin/runs")) << read_file(repo / "bin/runs");
}

// Each plugin carries its own copy of the toolkit (and of its cache of tool
// versions), so two plugins running the same helm ask it once each.
TEST(AutoRenderer, AToolIsAskedForItsVersionOncePerPluginAndBinary) {
  TempDir dir;
  const std::string path = logging_tools(dir / "bin");
  ASSERT_EQ(setenv("PATH", path.c_str(), 1), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*renderer_factory("helm").tool_version(), "helm v3.22.0");
    EXPECT_EQ(*renderer_factory("helmrelease").tool_version(), "helm v3.22.0");
  }
  EXPECT_EQ(read_file(dir / "bin/runs"), "helm version --short\nhelm version --short\n");
  // a replaced binary is asked again
  const std::string script = read_file(dir / "bin/helm");
  fs::remove(dir / "bin/helm");
  write_file(dir / "bin/helm", script + "\n");
  fs::permissions(dir / "bin/helm", fs::perms::owner_all);
  EXPECT_EQ(*renderer_factory("helm").tool_version(), "helm v3.22.0");
  EXPECT_EQ(read_file(dir / "bin/runs"), "helm version --short\nhelm version --short\nhelm version --short\n");
}
