// The engine with the real path source, yaml renderer and dir sink.
#include <gtest/gtest.h>

#include "config/plugin_blocks.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "pipeline/engine.hpp"
#include "pipeline/render_checks.hpp"
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

// The render is what the renderers made: the core labels nothing (labelling
// what it applies is the kube sink's business).
TEST_F(EngineTest, OnePipelinePerFolderRenderedAsTheRenderersMadeIt) {
  auto runs = run(RunStage::render);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].pipeline, "dev");
  EXPECT_EQ(runs[1].pipeline, "prod");
  ASSERT_EQ(runs[1].objects().size(), 1u);
  EXPECT_EQ(to_json(*runs[1].objects()[0].body.find("metadata")), R"({"name":"prod-app","namespace":"apps"})");
  EXPECT_EQ(runs[1].objects()[0].origin.file, "clusters/prod/app.yaml");
  EXPECT_EQ(runs[1].revision.rfind("sha256:", 0), 0u);
}

TEST_F(EngineTest, ApplyWritesThroughTheSinkAndSecondRunChangesNothing) {
  auto first = run(RunStage::apply);
  ASSERT_TRUE(first[0].ok()) << messages(first[0]);
  // Written as rendered, for whatever applies the folder: without labels of the kube sink.
  EXPECT_EQ(driftless::test::read_file(dir_ / "out/dev/apps/configmap-dev-app.yaml").find("labels"), std::string::npos);
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

TEST_F(EngineTest, AnObjectStillSopsEncryptedIsAnErrorNotApplied) {
  // What `sops --encrypt` leaves: ciphertext values and a top-level sops block.
  write_file(dir_ / "repo/clusters/dev/secret.yaml",
             "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\n"
             "stringData: {password: 'ENC[AES256_GCM,data:J/E=,iv:MTE=,tag:rXY=,type:str]'}\n"
             "sops: {lastmodified: '2026-01-01T00:00:00Z', mac: 'ENC[AES256_GCM,data:Ap8=,iv:YTB=,tag:RLv=,type:str]', version: 3.13.3}\n");
  auto runs = run(RunStage::apply, "dev");
  EXPECT_FALSE(runs[0].ok());
  EXPECT_NE(messages(runs[0]).find("clusters/dev/secret.yaml:1: error: the object is still SOPS-encrypted (it has a top-level "
                                   "sops block): add a renderer that decrypts it after the stage that read it (renderers: [yaml, "
                                   "sops]); nothing is applied (Secret/apps/db)"),
            std::string::npos)
      << messages(runs[0]);
  EXPECT_TRUE(runs[0].sink.changes.empty());
  EXPECT_FALSE(fs::exists(dir_ / "out/dev/apps/secret-db.yaml"));
}

TEST_F(EngineTest, ObjectWithoutNameIsAnError) {
  write_file(dir_ / "repo/clusters/dev/anon.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
  auto runs = run(RunStage::render, "dev");
  EXPECT_NE(messages(runs[0]).find("clusters/dev/anon.yaml:1: error: the ConfigMap has no metadata.name"), std::string::npos)
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

TEST_F(EngineTest, EverySpellingOfAPathRendersTheSame) {
  // `path: .` once cut two characters off every file name: d.yaml rendered nothing.
  write_file(dir_ / "repo/d.yaml", config_map("root-app"));
  std::string config = "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources: [{name: repo, type: path, path: repo}]\npipelines:\n";
  const std::vector<std::string> spellings{"", ".", "./", "clusters/dev", "./clusters/dev/", "clusters//dev", "clusters/./dev"};
  for (std::size_t i = 0; i < spellings.size(); ++i)
    config += "  - {name: p" + std::to_string(i) + ", source: repo, path: \"" + spellings[i] + "\", sink: {type: dir, path: out}}\n";
  write_file(dir_ / "driftless.yaml", config);
  auto runs = run(RunStage::render);
  ASSERT_EQ(runs.size(), spellings.size());
  auto ids = [](const PipelineRun& r) {
    std::vector<std::string> out;
    for (const auto& o : r.objects()) out.push_back(o.id() + "@" + o.origin.file);
    return out;
  };
  const std::vector<std::string> root{"ConfigMap/apps/dev-app@clusters/dev/app.yaml", "ConfigMap/apps/prod-app@clusters/prod/app.yaml",
                                      "ConfigMap/apps/root-app@d.yaml"};
  for (std::size_t i = 0; i < spellings.size(); ++i) {
    ASSERT_TRUE(runs[i].ok()) << spellings[i] << ": " << messages(runs[i]);
    if (i < 3) EXPECT_EQ(ids(runs[i]), root) << "path: '" << spellings[i] << "'";
    else EXPECT_EQ(ids(runs[i]), std::vector<std::string>{"ConfigMap/apps/dev-app@clusters/dev/app.yaml"}) << spellings[i];
  }
}

TEST_F(EngineTest, ObjectsWithoutAFixedNameOrWithControlCharactersAreErrorsNamingFileAndLine) {
  write_file(dir_ / "repo/clusters/dev/job.yaml",
             config_map("first") + "---\napiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-, namespace: apps}\n");
  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("\"two\\nlines\""));
  // A hook is created, not applied: the server names it.
  write_file(dir_ / "repo/clusters/dev/hook.yaml",
             "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n  namespace: apps\n"
             "  annotations: {argocd.argoproj.io/hook: PreSync}\n");
  auto runs = run(RunStage::render, "dev");
  EXPECT_FALSE(runs[0].ok());
  const std::string m = messages(runs[0]);
  EXPECT_NE(m.find("clusters/dev/job.yaml:6: error: the Job has metadata.generateName 'migrate-' but no metadata.name: "
                   "server-side apply needs a fixed name, so only a hook (argocd.argoproj.io/hook) may have one"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("hook.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("clusters/dev/app.yaml:1: error: the object's kind, namespace or name holds a control character "
                   "(ConfigMap/apps/two\\nlines)"),
            std::string::npos)
      << m;
}

// A pipeline that names no renderers gets auto (the default).
TEST_F(EngineTest, AFolderOfFilesThatRendersNothingIsAnErrorUnlessTheSinkAllowsEmpty) {
  fs::remove(dir_ / "repo/clusters/dev/app.yaml");
  write_file(dir_ / "repo/clusters/dev/main.jsonnet", "{}");
  auto runs = run(RunStage::apply, "dev");
  EXPECT_FALSE(runs[0].ok());
  const std::string m = messages(runs[0]);
  EXPECT_NE(m.find("clusters/dev/main.jsonnet: warning: renderer 'auto' (stage 1 of 1): not read"), std::string::npos) << m;
  EXPECT_NE(m.find("clusters/dev: error: the folder 'clusters/dev' holds 1 file, but no objects were rendered from them"),
            std::string::npos)
      << m;
  // An empty folder renders nothing, and that is no error (the sink guards what was applied).
  fs::remove(dir_ / "repo/clusters/dev/main.jsonnet");
  EXPECT_TRUE(run(RunStage::render, "dev")[0].ok());
  write_file(dir_ / "repo/clusters/dev/main.jsonnet", "{}");
  write_file(dir_ / "driftless.yaml", std::string(kConfig).replace(std::string(kConfig).find("path: \"out"), 0, "allowEmpty: true, "));
  auto allowed = run(RunStage::render, "dev");
  EXPECT_TRUE(allowed[0].ok()) << messages(allowed[0]);
}

TEST_F(EngineTest, DiagnosticsAreCappedWithOneLineCountingTheRest) {
  for (int i = 0; i < 50; ++i) write_file(dir_ / ("repo/clusters/dev/bad" + std::to_string(100 + i) + ".yaml"), "a: 1\n---\nb: 2\n---\nc: 3\n");
  auto runs = run(RunStage::render, "dev");
  ASSERT_EQ(runs[0].diagnostics.size(), kMaxDiagnostics + 1);
  EXPECT_EQ(runs[0].diagnostics_dropped, 50u);
  EXPECT_EQ(format(runs[0].diagnostics.back()), "error: and 50 more not shown (50 errors, 0 warnings); fix the ones above first");
  EXPECT_EQ(runs[0].diagnostics.front().file, "clusters/dev/bad100.yaml");
}

// kustomize's objects carry their kustomization file and no line: the
// message names the file, not "kustomization.yaml:0".
TEST(CheckObjects, ADuplicateOfAnObjectWithoutALineNamesItsFileAlone) {
  KubeObject built = parse_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n", "x").objects.at(0);
  built.origin = {"tenants/production/kustomization.yaml", 0, 0};
  KubeObject read = built;
  read.origin = {"tenants/app.yaml", 0, 3};
  std::vector<Diagnostic> out;
  check_objects({built, read}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message, "the object is defined twice; the other one is in tenants/production/kustomization.yaml");
  out.clear();
  check_objects({read, built}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message, "the object is defined twice; the other one is in tenants/app.yaml:3");
}

TEST(CapDiagnostics, KeepsErrorsFirstInTheirOrder) {
  std::vector<Diagnostic> list;
  for (int i = 0; i < 5; ++i) list.push_back({Severity::warning, "w" + std::to_string(i), {}, 0, {}});
  for (int i = 0; i < 3; ++i) list.push_back({Severity::error, "e" + std::to_string(i), {}, 0, {}});
  EXPECT_EQ(cap_diagnostics(list, 4), 4u);
  std::string seen;
  for (const auto& d : list) seen += d.message.substr(0, 2) + " ";
  EXPECT_EQ(seen, "w0 e0 e1 e2 an ");
  EXPECT_EQ(list.back().message, "and 4 more not shown (0 errors, 4 warnings); fix the ones above first");
  std::vector<Diagnostic> many(250000, Diagnostic{Severity::error, "x", {}, 0, {}});
  EXPECT_EQ(cap_diagnostics(many, 10), 249990u);
  EXPECT_EQ(many.back().message, "and 249,990 more not shown (249,990 errors, 0 warnings); fix the ones above first");
}

TEST_F(EngineTest, FolderNamesWithControlCharactersAreNotMadePipelines) {
  write_file(dir_ / "repo/clusters/fake\nline/app.yaml", config_map("fake"));
  auto runs = run(RunStage::render);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].pipeline, "dev");
  EXPECT_TRUE(runs[0].ok()) << messages(runs[0]);
  EXPECT_NE(messages(runs[0]).find("warning: the folder 'clusters/fake\\nline' matches forEachFolder 'clusters/*' but its "
                                   "name holds a control character, so it is not made a pipeline"),
            std::string::npos)
      << messages(runs[0]);
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
