// Config loading: structure errors from the reader, plugin-key errors from the
// plugins' own tables, always with file:line:column.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/plugin_blocks.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::core;

namespace {

const char* kValid = R"(apiVersion: driftless.dev/v1alpha1
kind: Config
sources:
  - name: fleet
    type: path
    path: fleet
    interval: 2m
pipelines:
  - name: "{{folder}}"
    source: fleet
    forEachFolder: clusters/*
    renderers: [{type: yaml, missingKind: warning}]
    sink: {type: dir, path: "out/{{folder}}"}
)";

PluginRegistry& registry() {
  static PluginRegistry r;
  static bool loaded = false;
  if (!loaded) r.load_directory(driftless::test::plugin_dir()), loaded = true;
  return r;
}

// Loads `text` and validates plugin blocks; returns all messages, one per line.
std::string problems(const std::string& text) {
  ConfigLoad load = parse_config(text, "/etc/driftless/config.yaml");
  std::string out;
  for (const auto& d : load.diagnostics) out += format(d) + "\n";
  if (load.config)
    for (const auto& d : validate_plugin_blocks(*load.config, registry())) out += format(d) + "\n";
  return out;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

}  // namespace

TEST(Config, ValidConfigLoadsWithDefaultsAndResolvedPaths) {
  ConfigLoad load = parse_config(kValid, "/etc/driftless/config.yaml");
  ASSERT_TRUE(load.config) << format(load.diagnostics.front());
  Config& c = *load.config;
  ASSERT_TRUE(validate_plugin_blocks(c, registry()).empty());
  EXPECT_EQ(c.sources[0].interval, std::chrono::minutes(2));
  EXPECT_EQ(c.sources[0].plugin.config.string_or("path"), "/etc/driftless/fleet");
  EXPECT_EQ(c.pipelines[0].sink.config.string_or("path"), "/etc/driftless/out/{{folder}}");
  EXPECT_EQ(c.pipelines[0].sink.config.find("prune")->as_bool(), true);
  EXPECT_EQ(c.pipelines[0].renderers[0].config.string_or("missingKind"), "warning");
}

TEST(Config, UnknownTopLevelKeyNamesLineColumnAndAllowedKeys) {
  std::string p = problems(replace(kValid, "kind: Config\n", "kind: Config\npluginDirectory: /x\n"));
  EXPECT_NE(p.find("config.yaml:3: error: 1: unknown key 'pluginDirectory'"), std::string::npos) << p;
  EXPECT_NE(p.find("pluginDir"), std::string::npos) << p;
}

TEST(Config, UnknownPluginKeyIsAnError) {
  std::string p = problems(replace(kValid, "    path: fleet\n", "    path: fleet\n    pth: typo\n"));
  EXPECT_NE(p.find("config.yaml:7: error: 5: unknown key 'pth' in the source 'path' of source 'fleet' (accepted: path)"),
            std::string::npos) << p;
}

TEST(Config, WrongTypeAndChoiceAreErrors) {
  std::string p = problems(replace(kValid, "missingKind: warning", "missingKind: sometimes, maxFileSize: lots"));
  EXPECT_NE(p.find("'missingKind'"), std::string::npos) << p;
  EXPECT_NE(p.find("choose one of: error, warning, ignore"), std::string::npos) << p;
  EXPECT_NE(p.find("'maxFileSize' in the renderer 'yaml' of pipeline '{{folder}}' must be of type integer"), std::string::npos) << p;
}

TEST(Config, MissingRequiredPluginKey) {
  std::string p = problems(replace(kValid, R"(sink: {type: dir, path: "out/{{folder}}"})", "sink: {type: dir}"));
  EXPECT_NE(p.find("needs 'path'"), std::string::npos) << p;
}

TEST(Config, UnknownPluginTypeListsTheLoadedOnes) {
  std::string p = problems(replace(kValid, "type: path", "type: svn"));
  EXPECT_NE(p.find("source type 'svn', but no such plugin is loaded (loaded: "), std::string::npos) << p;
  EXPECT_NE(p.find("path"), std::string::npos) << p;
}

TEST(Config, StructuralErrors) {
  EXPECT_NE(problems("apiVersion: v2\nkind: Config\npipelines: []\n").find("this driftless reads 'driftless.dev/v1alpha1'"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "source: fleet\n    forEach", "source: elsewhere\n    forEach"))
                .find("uses source 'elsewhere', which is not defined"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "name: \"{{folder}}\"", "name: same")).find("must contain {{folder}}"), std::string::npos);
  EXPECT_NE(problems(replace(kValid, "interval: 2m", "interval: soon")).find("write a duration"), std::string::npos);
  EXPECT_NE(problems(replace(kValid, "forEachFolder: clusters/*", "forEachFolder: ../*")).find("without '..'"),
            std::string::npos);
  const std::string syntax = problems("apiVersion: [\n");
  EXPECT_NE(syntax.find("config.yaml:2: error"), std::string::npos) << syntax;
  EXPECT_NE(syntax.find("YAML syntax error"), std::string::npos) << syntax;
}

// Found by tests/fuzz/config_loader: an error about a key that is missing
// took its position from the missing node, which throws (validate crashed).
TEST(Config, ErrorsAboutMissingKeysPointAtTheirMapping) {
  const std::string nameless = problems(replace(kValid, "  - name: \"{{folder}}\"\n    source: fleet", "  - source: fleet"));
  EXPECT_NE(nameless.find("config.yaml:9: error: 5: a pipeline needs 'name'"), std::string::npos) << nameless;
  EXPECT_NE(nameless.find("config.yaml:9: error: 5: pipeline '' uses forEachFolder, so its name must contain {{folder}}"),
            std::string::npos) << nameless;
  std::string hooks = kValid;
  hooks += "webhooks:\n  - {type: github, secretFile: a}\n  - {type: github, secretFile: b}\n";
  EXPECT_NE(problems(hooks).find("a webhook named '' is already defined"), std::string::npos) << problems(hooks);
}

TEST(Config, PruneOnFolderRemovalIsABooleanOfFolderPipelines) {
  ConfigLoad off = parse_config(kValid, "/etc/driftless/config.yaml");
  ASSERT_TRUE(off.config);
  EXPECT_FALSE(off.config->pipelines[0].prune_on_folder_removal);
  ConfigLoad on = parse_config(replace(kValid, "    forEachFolder: clusters/*\n", "    forEachFolder: clusters/*\n    pruneOnFolderRemoval: true\n"),
                               "/etc/driftless/config.yaml");
  ASSERT_TRUE(on.config);
  EXPECT_TRUE(on.config->pipelines[0].prune_on_folder_removal);
  EXPECT_NE(problems(replace(kValid, "    forEachFolder: clusters/*\n", "    forEachFolder: clusters/*\n    pruneOnFolderRemoval: yes please\n"))
                .find("'pruneOnFolderRemoval' in pipeline '{{folder}}' is 'yes please'; write true or false"),
            std::string::npos);
  EXPECT_NE(problems(replace(replace(kValid, "    forEachFolder: clusters/*\n", "    path: clusters/dev\n    pruneOnFolderRemoval: true\n"),
                             "name: \"{{folder}}\"", "name: dev"))
                .find("without 'forEachFolder'"),
            std::string::npos);
}

TEST(Config, DuplicateNamesAreErrors) {
  std::string text = kValid;
  text += "  - name: \"{{folder}}\"\n    source: fleet\n    forEachFolder: apps/*\n    sink: {type: dir, path: x}\n";
  EXPECT_NE(problems(text).find("already defined"), std::string::npos);
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("0s"));
  EXPECT_FALSE(parse_duration("99999999999999999999s"));
}

TEST(Config, TemplatesExpandEveryString) {
  Value v = *parse_json(R"({"path":"out/{{folder}}","list":["{{path}}"],"n":1})");
  EXPECT_EQ(to_json(expand_templates(v, "prod", "clusters/prod")), R"({"path":"out/prod","list":["clusters/prod"],"n":1})");
}

TEST(Config, HighAvailabilityIsOffByDefaultAndChecksItsDurations) {
  ConfigLoad plain = parse_config(kValid, "/etc/driftless/config.yaml");
  ASSERT_TRUE(plain.config);
  EXPECT_FALSE(plain.config->high_availability.enabled);

  ConfigLoad ha = parse_config(
      replace(kValid, "kind: Config\n", "kind: Config\nhighAvailability: {enabled: true, identity: a, leaseDuration: 30s, renewInterval: 10s}\n"),
      "/etc/driftless/config.yaml");
  ASSERT_TRUE(ha.config) << format(ha.diagnostics.front());
  EXPECT_TRUE(ha.config->high_availability.enabled);
  EXPECT_EQ(ha.config->high_availability.identity, "a");
  EXPECT_EQ(ha.config->high_availability.lease_duration, std::chrono::seconds(30));
  EXPECT_EQ(ha.config->high_availability.renew_interval, std::chrono::seconds(10));

  EXPECT_NE(problems(replace(kValid, "kind: Config\n", "kind: Config\nhighAvailability: {enabled: true, renewInterval: 10s}\n"))
                .find("'renewInterval' in 'highAvailability' must be at most half of 'leaseDuration'"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "kind: Config\n", "kind: Config\nhighAvailability: {enabled: yes please}\n"))
                .find("'enabled' in 'highAvailability' is 'yes please'; write true or false"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "kind: Config\n", "kind: Config\nhighAvailability: {leaseDuraton: 5s}\n"))
                .find("unknown key 'leaseDuraton'"),
            std::string::npos);
}
