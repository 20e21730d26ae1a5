// The engine with the real path source, yaml renderer and dir sink.
#include <gtest/gtest.h>

#include "config/plugin_blocks.hpp"
#include "pipeline/engine.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::core;
using driftless::test::TempDir;
using driftless::test::write_file;
namespace fs = std::filesystem;

namespace {

const char* kConfig = R"(apiVersion: driftless.dev/v1alpha1
kind: Config
sources: [{name: repo, type: path, path: repo}]
pipelines:
  - name: "{{folder}}"
    source: repo
    forEachFolder: clusters/*
    sink: {type: dir, path: "out/{{folder}}"}
)";

const char* kConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: apps}\ndata: {k: v}\n";

std::string config_map(const std::string& name) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kConfigMap, name.c_str());
  return buf;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.load_directory(driftless::test::plugin_dir());
    write_file(dir_ / "driftless.yaml", kConfig);
    write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("dev-app"));
    write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("prod-app"));
  }

  std::vector<PipelineRun> run(RunStage stage, std::optional<std::string> only = std::nullopt) {
    ConfigLoad load = load_config(dir_ / "driftless.yaml");
    EXPECT_TRUE(load.config);
    config_ = std::move(*load.config);
    EXPECT_TRUE(validate_plugin_blocks(config_, registry_).empty());
    engine_ = std::make_unique<Engine>(config_, registry_, EngineOptions{dir_ / "state"});
    return engine_->run(stage, only);
  }

  static std::string messages(const PipelineRun& r) {
    std::string out;
    for (const auto* set : {&r.diagnostics, &r.sink.diagnostics})
      for (const auto& d : *set) out += format(d) + "\n";
    return out;
  }

  TempDir dir_;
  PluginRegistry registry_;
  Config config_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace

TEST_F(EngineTest, OnePipelinePerFolderWithManagedLabels) {
  auto runs = run(RunStage::render);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].pipeline, "dev");
  EXPECT_EQ(runs[1].pipeline, "prod");
  ASSERT_EQ(runs[1].objects().size(), 1u);
  const Value& labels = *runs[1].objects()[0].body.at_path({"metadata", "labels"});
  EXPECT_EQ(labels.string_or("app.kubernetes.io/managed-by"), "driftless");
  EXPECT_EQ(labels.string_or("driftless.dev/pipeline"), "prod");
  EXPECT_EQ(runs[1].objects()[0].origin.file, "clusters/prod/app.yaml");
  EXPECT_EQ(runs[1].revision.rfind("sha256:", 0), 0u);
}

TEST_F(EngineTest, ApplyWritesThroughTheSinkAndSecondRunChangesNothing) {
  auto first = run(RunStage::apply);
  ASSERT_TRUE(first[0].ok()) << messages(first[0]);
  EXPECT_TRUE(fs::exists(dir_ / "out/dev/apps/configmap-dev-app.yaml"));
  auto second = engine_->run(RunStage::apply);
  ASSERT_EQ(second[0].sink.changes.size(), 1u);
  EXPECT_EQ(second[0].sink.changes[0].action, ChangeAction::unchanged);
}

TEST_F(EngineTest, RenderErrorAppliesNothingAndPrunesNothing) {
  ASSERT_TRUE(run(RunStage::apply)[0].ok());
  write_file(dir_ / "repo/clusters/dev/app.yaml", "apiVersion: v1\nkind: [broken\n");
  auto runs = engine_->run(RunStage::apply);
  EXPECT_FALSE(runs[0].ok());
  EXPECT_NE(messages(runs[0]).find("clusters/dev/app.yaml:"), std::string::npos) << messages(runs[0]);
  EXPECT_TRUE(runs[0].sink.changes.empty());
  EXPECT_TRUE(fs::exists(dir_ / "out/dev/apps/configmap-dev-app.yaml"));  // last good state kept
  EXPECT_TRUE(runs[1].ok());  // the other cluster is unaffected
}

TEST_F(EngineTest, DuplicateObjectsNameBothFiles) {
  write_file(dir_ / "repo/clusters/dev/again.yaml", config_map("dev-app"));
  auto runs = run(RunStage::render, "dev");
  ASSERT_EQ(runs.size(), 1u);
  const std::string m = messages(runs[0]);
  EXPECT_NE(m.find("clusters/dev/app.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("clusters/dev/again.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("defined twice"), std::string::npos) << m;
}

TEST_F(EngineTest, ObjectWithoutNameIsAnError) {
  write_file(dir_ / "repo/clusters/dev/anon.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
  auto runs = run(RunStage::render, "dev");
  EXPECT_NE(messages(runs[0]).find("clusters/dev/anon.yaml:1: error: the object has no metadata.name"), std::string::npos)
      << messages(runs[0]);
}

TEST_F(EngineTest, RendererFindingsNameTheirStage) {
  write_file(dir_ / "driftless.yaml", std::string(kConfig) + "    renderers: [{type: yaml, include: [\"*.json\"]}, {type: yaml}]\n");
  write_file(dir_ / "repo/clusters/dev/app.yaml", "apiVersion: v1\nkind: [broken\n");
  auto runs = run(RunStage::render, "dev");
  const std::string m = messages(runs[0]);
  EXPECT_NE(m.find("clusters/dev/app.yaml:3: error: renderer 'yaml' (stage 2 of 2): "), std::string::npos) << m;
  EXPECT_TRUE(runs[0].objects().empty());
}

TEST_F(EngineTest, NonStringLabelOrAnnotationIsAnErrorNamingFileLineAndObject) {
  write_file(dir_ / "repo/clusters/dev/skip.yaml", config_map("fine") +
                                                       "---\n"
                                                       "apiVersion: v1\n"
                                                       "kind: ConfigMap\n"
                                                       "metadata:\n"
                                                       "  name: skip\n"
                                                       "  namespace: apps\n"
                                                       "  annotations: {policy.example/skip: true, quoted: \"true\", empty: }\n"
                                                       "  labels: {tier: 3, team: [a]}\n");
  auto runs = run(RunStage::render, "dev");
  const std::string m = messages(runs[0]);
  EXPECT_NE(m.find("clusters/dev/skip.yaml:6: error: metadata.annotations 'policy.example/skip' is true, a boolean; "
                   "Kubernetes takes only strings there: quote it (\"true\") (ConfigMap/apps/skip)"),
            std::string::npos) << m;
  EXPECT_NE(m.find("metadata.labels 'tier' is 3, an integer"), std::string::npos) << m;
  EXPECT_NE(m.find("metadata.labels 'team' is a list; Kubernetes takes only strings there (ConfigMap/apps/skip)"),
            std::string::npos) << m;
  EXPECT_EQ(m.find("quoted"), std::string::npos) << m;
  EXPECT_EQ(m.find("empty"), std::string::npos) << m;
  EXPECT_TRUE(runs[0].objects().empty());

  write_file(dir_ / "repo/clusters/dev/skip.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: [a]}\n---\n"
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
             "spec: {template: {metadata: {annotations: {replicas: 3}}}}\n");
  const std::string more = messages(engine_->run(RunStage::render, "dev")[0]);
  EXPECT_NE(more.find("metadata.labels must be a mapping of strings, not a list (ConfigMap/x)"), std::string::npos) << more;
  EXPECT_NE(more.find("skip.yaml:5: error: spec.template.metadata.annotations 'replicas' is 3, an integer; Kubernetes takes "
                      "only strings there: quote it (\"3\") (Deployment/web)"),
            std::string::npos) << more;
}

TEST_F(EngineTest, UnknownPipelineNameSaysWhichExist) {
  auto runs = run(RunStage::render, "staging");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_NE(messages(runs[0]).find("no pipeline named 'staging'"), std::string::npos) << messages(runs[0]);
}

TEST_F(EngineTest, FetchFailureAppliesNothing) {
  fs::rename(dir_ / "repo", dir_ / "moved");
  auto runs = run(RunStage::apply);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].ok());
  EXPECT_NE(messages(runs[0]).find("could not be fetched (not_found)"), std::string::npos) << messages(runs[0]);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(EngineTest, FolderGlobNeverFollowsSymlinks) {
  TempDir outside;
  write_file(outside / "evil/app.yaml", config_map("evil"));
  fs::create_directory_symlink(outside / "evil", dir_ / "repo/clusters/evil");
  auto runs = run(RunStage::render);
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& r : runs) EXPECT_NE(r.pipeline, "evil");
}

TEST(MatchFolders, GlobSegments) {
  TempDir dir;
  write_file(dir / "clusters/a/x.yaml", "");
  write_file(dir / "clusters/b/x.yaml", "");
  write_file(dir / "clusters/.hidden/x.yaml", "");
  write_file(dir / "clusters/file.yaml", "");
  EXPECT_EQ(match_folders(dir.path(), "clusters/*"), (std::vector<std::string>{"clusters/a", "clusters/b"}));
  EXPECT_EQ(match_folders(dir.path(), "*/b"), (std::vector<std::string>{"clusters/b"}));
}
