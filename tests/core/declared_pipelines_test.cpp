// Pipelines declared by a render (core/pipeline/child_pipelines.hpp): a test
// reader turns objects of kind test.driftless.dev/v1 Pipeline into pipelines;
// the engine runs them with their own path and sink, with the real path
// source, yaml renderer and dir sink.
#include <gtest/gtest.h>

#include "config/plugin_blocks.hpp"
#include "daemon/scheduler.hpp"
#include "pipeline/engine.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::core;
using driftless::test::eventually;
using driftless::test::TempDir;
using driftless::test::write_file;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// spec: {path, sink: {type, ...keys}} -> a pipeline with the default renderer.
class TestPipelineReader : public PipelineReader {
 public:
  bool declares(const KubeObject& object) const override {
    return object.api_version() == "test.driftless.dev/v1" && object.kind() == "Pipeline";
  }
  Result<PipelineSpec> read(const KubeObject& object) const override {
    const Value* sink = object.body.at_path({"spec", "sink"});
    if (!sink || !sink->is_object()) return fail(ErrorCode::invalid_input, "spec.sink must be a mapping");
    PipelineSpec out;
    out.name = object.name();
    out.path = object.body.find("spec")->string_or("path");
    Object keys = sink->as_object();
    keys.erase("type");
    out.sink = PluginBlock{sink->string_or("type"), Value(std::move(keys)), nullptr, {}};
    return out;
  }
};

std::string config_map(const std::string& name) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: apps}\ndata: {k: v}\n";
}

class DeclaredPipelinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.load_directory(driftless::test::plugin_dir());
    write_file(dir_ / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources: [{name: repo, type: path, path: repo}]\n"
               "pipelines:\n  - {name: root, source: repo, path: apps, sink: {type: dir, path: " +
                   (dir_ / "out/root").string() + "}}\n");
    write_file(dir_ / "repo/apps/root.yaml", config_map("root-app"));
    write_file(dir_ / "repo/web/app.yaml", config_map("web-app"));
    write_file(dir_ / "repo/db/app.yaml", config_map("db-app"));
    ConfigLoad load = load_config(dir_ / "driftless.yaml");
    ASSERT_TRUE(load.config);
    config_ = std::move(*load.config);
    ASSERT_TRUE(validate_plugin_blocks(config_, registry_).empty());
    EngineOptions options{dir_ / "state"};
    options.pipeline_readers = {&reader_};
    engine_ = std::make_unique<Engine>(config_, registry_, options);
  }

  // Lets apps/declared.yaml declare one pipeline per name, each with its own path and sink.
  void declare(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names)
      text += "---\napiVersion: test.driftless.dev/v1\nkind: Pipeline\nmetadata: {name: " + name + "}\nspec: {path: " +
              name + ", sink: {type: dir, path: " + (dir_ / "out" / name).string() + "}}\n";
    write_file(dir_ / "repo/apps/declared.yaml", text);
  }

  static std::string messages(const PipelineRun& r) {
    std::string out;
    for (const auto* set : {&r.diagnostics, &r.sink.diagnostics})
      for (const auto& d : *set) out += format(d) + "\n";
    return out;
  }

  std::vector<std::string> names(const std::vector<PipelineRun>& runs) {
    std::vector<std::string> out;
    for (const auto& r : runs) out.push_back(r.pipeline + (r.ok() ? "" : " failed"));
    return out;
  }

  std::vector<std::string> targets() {
    std::vector<std::string> out;
    for (const auto& t : engine_->targets()) out.push_back(t.name + "@" + t.source);
    return out;
  }

  using Names = std::vector<std::string>;

  TempDir dir_;
  PluginRegistry registry_;
  Config config_;
  TestPipelineReader reader_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace

TEST_F(DeclaredPipelinesTest, ADeclaredPipelineRunsWithItsOwnPathAndSinkAndTheDeclarationIsNotApplied) {
  declare({"web"});
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/web"})) << messages(runs[0]);
  EXPECT_TRUE(runs[0].declared_changed);
  EXPECT_EQ(runs[0].objects().size(), 1u);  // the ConfigMap; the declaration is the core's, not the sink's
  EXPECT_TRUE(fs::exists(dir_ / "out/root/apps/configmap-root-app.yaml"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "out/root/apps"), fs::directory_iterator()), 1);
  EXPECT_TRUE(fs::exists(dir_ / "out/web/apps/configmap-web-app.yaml"));
  EXPECT_EQ(targets(), (Names{"root@repo", "root/web@repo"}));

  // Alone, as the daemon's scheduler runs it; and again from the render cache with the same children.
  auto alone = engine_->run(RunStage::apply, "root/web", false);
  ASSERT_EQ(names(alone), Names{"root/web"}) << messages(alone[0]);
  auto again = engine_->run(RunStage::apply);
  ASSERT_EQ(names(again), (Names{"root", "root/web"}));
  EXPECT_TRUE(again[0].render_reused);
  EXPECT_FALSE(again[0].declared_changed);
}

TEST_F(DeclaredPipelinesTest, AFailedParentRenderKeepsItsChildrenAndAGoneDeclarationPrunesNothing) {
  declare({"web", "db"});
  ASSERT_EQ(names(engine_->run(RunStage::apply)), (Names{"root", "root/web", "root/db"}));

  // A broken parent: its children stand and still run, from its last good render.
  write_file(dir_ / "repo/apps/broken.yaml", "apiVersion: v1\nkind: [broken\n");
  declare({});
  EXPECT_EQ(names(engine_->run(RunStage::apply)), (Names{"root failed", "root/web", "root/db"}));
  EXPECT_EQ(targets(), (Names{"root@repo", "root/web@repo", "root/db@repo"}));

  // A declaration that cannot be run is an error of the parent, naming file and line: nothing changes either.
  fs::remove(dir_ / "repo/apps/broken.yaml");
  write_file(dir_ / "repo/apps/declared.yaml",
             "apiVersion: test.driftless.dev/v1\nkind: Pipeline\nmetadata: {name: web}\nspec: {path: web, sink: {type: nope}}\n");
  auto bad = engine_->run(RunStage::apply);
  EXPECT_EQ(names(bad), (Names{"root failed", "root/web", "root/db"}));
  EXPECT_NE(messages(bad[0]).find("apps/declared.yaml:1: error: the pipeline declared here cannot be run: sink 'nope' is "
                                  "not a loaded plugin (Pipeline/web)"),
            std::string::npos)
      << messages(bad[0]);

  // No longer declared: gone from the pipelines, its objects left in place, with a warning.
  declare({"web"});
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/web"})) << messages(runs[0]);
  EXPECT_TRUE(runs[0].declared_changed);
  EXPECT_NE(messages(runs[0]).find("warning: pipeline 'root/db' is no longer declared; its objects were left in place"),
            std::string::npos)
      << messages(runs[0]);
  EXPECT_EQ(targets(), (Names{"root@repo", "root/web@repo"}));
  EXPECT_TRUE(fs::exists(dir_ / "out/db/apps/configmap-db-app.yaml"));
  EXPECT_NE(messages(engine_->run(RunStage::render, "root/db")[0]).find("no pipeline named 'root/db'"), std::string::npos);
}

TEST_F(DeclaredPipelinesTest, DeclarationsNestOnlySoDeep) {
  // Each level declares the next from the same folder: root/a, root/a/a, ... until the limit stops it.
  write_file(dir_ / "repo/apps/declared.yaml", "apiVersion: test.driftless.dev/v1\nkind: Pipeline\nmetadata: {name: a}\n"
                                               "spec: {path: apps, sink: {type: dir, path: " + (dir_ / "out/a").string() + "}}\n");
  auto runs = engine_->run(RunStage::render);
  ASSERT_EQ(names(runs), (Names{"root", "root/a", "root/a/a", "root/a/a/a failed"}));
  EXPECT_NE(messages(runs.back()).find("apps/declared.yaml:1: error: pipeline 'root/a/a/a' is nested 3 deep and may declare no "
                                       "more pipelines (Pipeline/a)"),
            std::string::npos)
      << messages(runs.back());
}

// The daemon's scheduler learns of declared pipelines when the parent's run
// declares them, not at the next new revision, and drops them the same way.
TEST_F(DeclaredPipelinesTest, TheSchedulerRunsDeclaredPipelinesLikeAnyOther) {
  declare({"web"});
  Metrics metrics;
  SchedulerOptions options;
  options.state_dir = dir_ / "state";
  Scheduler scheduler(*engine_, config_, metrics, options);
  auto state_of = [&](const std::string& name) {
    for (const auto& status : scheduler.status())
      if (status.name == name) return status.state;
    return std::string("absent");
  };
  scheduler.start();
  EXPECT_TRUE(eventually([&] { return state_of("root/web") == "ready"; }, 10s)) << state_of("root/web");
  EXPECT_TRUE(fs::exists(dir_ / "out/web/apps/configmap-web-app.yaml"));
  declare({});
  scheduler.fetch_now({});
  EXPECT_TRUE(eventually([&] { return state_of("root/web") == "absent"; }, 10s)) << state_of("root/web");
  EXPECT_TRUE(fs::exists(dir_ / "out/web/apps/configmap-web-app.yaml"));  // left in place
  scheduler.stop();
}
