// The driftless binary as a user runs it, on the built-in example and on
// broken inputs: exit codes, messages, --output json, --help.
#include <gtest/gtest.h>

#include "driftless/value.hpp"
#include "support.hpp"

using namespace driftless;
using driftless::test::run_driftless;
using driftless::test::TempDir;
using driftless::test::write_file;
namespace fs = std::filesystem;

namespace {

// A copy of the example so tests never write into the source tree.
class ExampleCopy {
 public:
  ExampleCopy() {
    fs::copy(driftless::test::source_dir() / "examples/fleet", dir_ / "fleet", fs::copy_options::recursive);
    fs::copy_file(driftless::test::source_dir() / "examples/driftless.yaml", dir_ / "driftless.yaml");
  }
  std::vector<std::string> args(std::vector<std::string> rest) const {
    std::vector<std::string> a{"--config", (dir_ / "driftless.yaml").string(), "--state-dir", (dir_ / "state").string()};
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
  }
  fs::path operator/(const std::string& p) const { return dir_ / p; }

 private:
  TempDir dir_;
};

}  // namespace

TEST(Cli, HelpDocumentsEveryCommandAndFlag) {
  auto r = run_driftless({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"plugins", "validate", "render", "diff", "apply", "run", "--config", "--plugin-dir",
                           "--state-dir", "--log-format"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  auto run_help = run_driftless({"run", "--help"});
  EXPECT_NE(run_help.out.find("--once"), std::string::npos);
}

TEST(Cli, UnknownCommandIsAUsageError) {
  auto r = run_driftless({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, PluginsListsKindVersionAndPath) {
  auto r = run_driftless({"plugins"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("source    path"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("libdriftless-sink-dir.so"), std::string::npos) << r.out;

  auto json = run_driftless({"plugins", "--output", "json"});
  auto parsed = parse_json(json.out);
  ASSERT_TRUE(parsed.ok()) << json.out;
  EXPECT_GE(parsed->find("plugins")->as_array().size(), 3u);
  EXPECT_TRUE(parsed->find("problems")->as_array().empty());
}

TEST(Cli, PluginsReportsBadFilesAndExitsOne) {
  TempDir dir;
  fs::copy_file(fs::path(BAD_PLUGIN_DIR) / "wrong_abi.so", dir / "wrong_abi.so");
  auto r = run_driftless({"plugins", "--plugin-dir", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong_abi.so: error: built for driftless plugin ABI version 999"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("renderer  yaml"), std::string::npos) << r.out;  // the bundled plugins still load
}

TEST(Cli, PluginDirIsRepeatableAndAddsToTheBundledFolder) {
  TempDir one, two;
  auto r = run_driftless({"--plugin-dir", one.path().string(), "plugins", "--plugin-dir", two.path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("plugin folders: " + driftless::test::plugin_dir().string() + ", " + one.path().string() + ", " +
                       two.path().string() + "\n"),
            std::string::npos) << r.out;
  auto json = parse_json(run_driftless({"plugins", "-o", "json"}, {{"DRIFTLESS_PLUGIN_DIR", one.path().string() + ":" + two.path().string()}}).out);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->find("pluginDirs")->as_array().size(), 3u) << to_json(*json);
}

TEST(Cli, ValidateTheExample) {
  ExampleCopy example;
  auto r = run_driftless(example.args({"validate"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("valid (1 sources, 1 pipelines"), std::string::npos) << r.out;
}

TEST(Cli, TheRealClusterAndS3ExamplesAreValid) {
  for (const char* config : {"real-cluster.yaml", "s3-bucket.yaml"}) {
    TempDir state;
    auto r = run_driftless({"--config", (driftless::test::source_dir() / "examples" / config).string(), "--state-dir",
                            state.path().string(), "validate"});
    EXPECT_EQ(r.exit_code, 0) << config << ": " << r.out << r.err;
    EXPECT_NE(r.out.find("valid (1 sources, 1 pipelines"), std::string::npos) << config << ": " << r.out;
  }
}

TEST(Cli, ValidateABrokenConfigNamesFileLineAndKey) {
  TempDir dir;
  write_file(dir / "bad.yaml", "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n  - {name: s, type: path, path: ., color: red}\npipelines:\n  - {name: p, source: s, sink: {type: dir, path: out}}\n");
  auto r = run_driftless({"--config", (dir / "bad.yaml").string(), "validate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.yaml:4:36: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown key 'color'"), std::string::npos) << r.err;
  auto json = run_driftless({"--config", (dir / "bad.yaml").string(), "validate", "-o", "json"});
  auto parsed = parse_json(json.out);
  ASSERT_TRUE(parsed.ok()) << json.out;
  EXPECT_FALSE(parsed->find("valid")->as_bool());
}

TEST(Cli, MissingConfigSaysHowToPassOne) {
  auto r = run_driftless({"--config", "/nonexistent/driftless.yaml", "render"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pass --config FILE"), std::string::npos) << r.err;
}

TEST(Cli, RenderPrintsYamlWithProvenance) {
  ExampleCopy example;
  auto r = run_driftless(example.args({"render", "--pipeline", "prod"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# pipeline: prod, source: clusters/prod/settings.yaml"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replicas: 3"), std::string::npos);
  EXPECT_EQ(r.out.find("replicas: 1"), std::string::npos);  // dev is not rendered
  auto json = run_driftless(example.args({"render", "-o", "json"}));
  auto parsed = parse_json(json.out);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->find("pipelines")->as_array().size(), 2u);
}

TEST(Cli, RenderErrorExitsOneAndNamesTheFileAndLine) {
  ExampleCopy example;
  write_file(example / "fleet/clusters/dev/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n");
  auto r = run_driftless(example.args({"render", "--pipeline", "dev"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("clusters/dev/broken.yaml:"), std::string::npos) << r.err;
}

TEST(Cli, DiffThenApplyThenDiffAgain) {
  ExampleCopy example;
  auto before = run_driftless(example.args({"diff"}));
  EXPECT_EQ(before.exit_code, 1) << before.err;
  EXPECT_NE(before.out.find("prod: created ConfigMap/podinfo/podinfo-settings"), std::string::npos) << before.out;
  EXPECT_FALSE(fs::exists(example / "out"));

  auto apply = run_driftless(example.args({"run", "--once"}));
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_TRUE(fs::exists(example / "out/prod/podinfo/configmap-podinfo-settings.yaml"));

  auto after = run_driftless(example.args({"diff"}));
  EXPECT_EQ(after.exit_code, 0) << after.out;

  write_file(example / "fleet/clusters/prod/settings.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo-settings, namespace: podinfo}\ndata: {environment: staging}\n");
  auto changed = run_driftless(example.args({"diff", "--pipeline", "prod"}));
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.out.find("-  environment: production"), std::string::npos) << changed.out;
  EXPECT_NE(changed.out.find("+  environment: staging"), std::string::npos) << changed.out;

  auto json = run_driftless(example.args({"apply", "-o", "json"}));
  auto parsed = parse_json(json.out);
  ASSERT_TRUE(parsed.ok()) << json.out;
  EXPECT_EQ(parsed->find("pipelines")->as_array().size(), 2u);
}

TEST(Cli, JsonLogs) {
  ExampleCopy example;
  auto r = run_driftless(example.args({"--log-format", "json", "--log-level", "debug", "apply"}));
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_FALSE(r.err.empty());
  const std::string first_line = r.err.substr(0, r.err.find('\n'));
  auto parsed = parse_json(first_line);
  ASSERT_TRUE(parsed.ok()) << first_line;
  EXPECT_EQ(parsed->string_or("level"), "debug");
  EXPECT_FALSE(parsed->string_or("msg").empty());
}

TEST(Cli, ConfigurationReferenceInDocsMatchesThePlugins) {
  auto r = run_driftless({"plugins", "--output", "markdown"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string doc = driftless::test::read_file(driftless::test::source_dir() / "docs/configuration.md");
  const std::string begin = "<!-- BEGIN GENERATED: driftless plugins --output markdown -->\n";
  const auto start = doc.find(begin);
  const auto end = doc.find("<!-- END GENERATED -->");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(doc.substr(start + begin.size(), end - start - begin.size()), r.out)
      << "docs/configuration.md is stale: regenerate its plugin section with `driftless plugins --output markdown`";
}
