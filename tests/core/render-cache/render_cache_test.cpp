// The engine renders a pipeline again only when its folders (or the folders
// its renderers read) changed: counted by a renderer that logs every render.
#include <gtest/gtest.h>

#include <sstream>

#include "config/plugin_blocks.hpp"
#include "pipeline/engine.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::core;
using namespace driftless::test;

namespace {

class RenderCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(repo / "clusters/a/app.yaml", "a: 1\n");
    write_file(repo / "clusters/b/app.yaml", "b: 1\n");
    write_file(repo / "shared/base.yaml", "s: 1\n");
    write_file(repo / "docs/readme.md", "hello\n");
    registry.load_directory(plugin_dir());
    ASSERT_TRUE(registry.load_file(COUNTING_RENDERER));
  }

  // Builds an engine over a config whose pipelines are given in YAML.
  void start(const std::string& pipelines) {
    const auto file = repo.path().parent_path() / (repo.path().filename().string() + "-driftless.yaml");
    config_file = file;
    write_file(file, "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- name: repo\n  type: path\n  path: " +
                         repo.path().string() + "\npipelines:\n" + pipelines);
    ConfigLoad load = load_config(file.string());
    ASSERT_TRUE(load.config) << (load.diagnostics.empty() ? "" : format(load.diagnostics.front()));
    config = std::move(*load.config);
    auto problems = validate_plugin_blocks(config, registry);
    ASSERT_TRUE(problems.empty()) << format(problems.front());
    engine = std::make_unique<Engine>(config, registry, EngineOptions{state.path(), std::chrono::seconds(60), nullptr});
  }

  std::string pipeline(const std::string& name, const std::string& path, const std::string& extra = "") {
    return "- name: " + name + "\n  source: repo\n  path: " + path + "\n  renderers:\n  - {type: counting, countFile: " +
           (state / "renders").string() + extra + "}\n  sink: {type: dir, path: " + (state / "out").string() + "}\n";
  }

  // Paths rendered since the last call.
  std::vector<std::string> renders_of_a_run() {
    for (const auto& run : engine->run(RunStage::render)) {
      EXPECT_EQ(run.objects().size(), run.ok() ? 1u : 0u) << run.pipeline;
    }
    std::vector<std::string> out;
    std::stringstream in(read_file(state / "renders"));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    std::filesystem::remove(state / "renders");
    return out;
  }

  TempDir repo;
  TempDir state;
  std::filesystem::path config_file;
  PluginRegistry registry;
  Config config;
  std::unique_ptr<Engine> engine;
};

using Renders = std::vector<std::string>;

}  // namespace

TEST_F(RenderCacheTest, OnlyPipelinesWhoseFoldersChangedAreRenderedAgain) {
  start(pipeline("a", "clusters/a", ", reads: [shared]") + pipeline("b", "clusters/b"));
  EXPECT_EQ(renders_of_a_run(), (Renders{"clusters/a", "clusters/b"}));
  EXPECT_EQ(renders_of_a_run(), Renders{});  // nothing changed: both from the cache, objects still there

  write_file(repo / "clusters/a/app.yaml", "a: 2\n");
  EXPECT_EQ(renders_of_a_run(), Renders{"clusters/a"});

  write_file(repo / "shared/base.yaml", "s: 2\n");  // read by a's renderer only
  EXPECT_EQ(renders_of_a_run(), Renders{"clusters/a"});

  write_file(repo / "docs/readme.md", "changed\n");  // read by nobody
  EXPECT_EQ(renders_of_a_run(), Renders{});

  write_file(repo / "clusters/b/new/deeper.yaml", "b: 2\n");  // a folder's id covers its subfolders
  EXPECT_EQ(renders_of_a_run(), Renders{"clusters/b"});
}

TEST_F(RenderCacheTest, FailedRendersAreTriedAgain) {
  start(pipeline("a", "clusters/a", ", fail: true"));
  EXPECT_EQ(renders_of_a_run(), Renders{"clusters/a"});
  EXPECT_EQ(renders_of_a_run(), Renders{"clusters/a"});
}

TEST_F(RenderCacheTest, ResultsThatAreNotCacheableAreRenderedEveryTime) {
  start(pipeline("a", "clusters/a", ", cacheable: false") + pipeline("b", "clusters/b"));
  EXPECT_EQ(renders_of_a_run(), (Renders{"clusters/a", "clusters/b"}));
  EXPECT_EQ(renders_of_a_run(), Renders{"clusters/a"});
}

TEST_F(RenderCacheTest, EachForEachFolderPipelineHasItsOwnEntry) {
  start("- name: \"{{folder}}\"\n  source: repo\n  forEachFolder: clusters/*\n  renderers:\n  - {type: counting, countFile: " +
        (state / "renders").string() + "}\n  sink: {type: dir, path: " + (state / "out").string() + "}\n");
  EXPECT_EQ(renders_of_a_run(), (Renders{"clusters/a", "clusters/b"}));
  write_file(repo / "clusters/b/app.yaml", "b: 3\n");
  EXPECT_EQ(renders_of_a_run(), Renders{"clusters/b"});
}
