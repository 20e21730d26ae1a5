// The yaml renderer plugin, loaded as the core loads it, on real folders.
#include <gtest/gtest.h>

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
  EXPECT_EQ(r.diagnostics(), "");
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
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"ConfigMap/a", "ConfigMap/b"}));
  auto anchored = render_yaml(repo.path(), "", "{include: ['deep/*/c.yml']}");
  EXPECT_EQ(anchored.ids(), (std::vector<std::string>{"ConfigMap/c"}));
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
