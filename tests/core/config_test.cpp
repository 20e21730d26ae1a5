// Config loading: structure errors from the reader, plugin-key errors from the
// plugins' own tables, always with file:line:column.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.hpp"
#include "config/plugin_blocks.hpp"
#include "pipeline/expansion.hpp"
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
  EXPECT_NE(p.find("config.yaml:3:1: error: unknown key 'pluginDirectory'"), std::string::npos) << p;
  EXPECT_NE(p.find("pluginDirs"), std::string::npos) << p;
}

TEST(Config, UnknownPluginKeyIsAnError) {
  std::string p = problems(replace(kValid, "    path: fleet\n", "    path: fleet\n    pth: typo\n"));
  EXPECT_NE(p.find("config.yaml:7:5: error: unknown key 'pth' in the source 'path' of source 'fleet' (accepted: path)"),
            std::string::npos) << p;
}

// A declaring renderer checks keys outside any config file (no folder to
// resolve against): an empty path is unset, not a crash.
TEST(Config, AnEmptyPathKeyIsUnsetEvenOutsideAConfigFile) {
  const std::vector<ConfigKey> keys{ConfigKey("ageKeyFile", ConfigType::path, "Key file.").default_to(""),
                                    ConfigKey("helmPath", ConfigType::path, "helm.")};
  auto checked = check_plugin_value(keys, *parse_json(R"({"ageKeyFile":"","helmPath":"bin/helm"})"), "renderer 'sops'");
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->string_or("ageKeyFile", "unset?"), "");
  EXPECT_EQ(checked->string_or("helmPath"), std::filesystem::absolute("bin/helm").lexically_normal().string());
}

TEST(Config, WrongTypeAndChoiceAreErrors) {
  std::string p = problems(replace(kValid, "missingKind: warning", "missingKind: sometimes, maxFileSize: lots"));
  EXPECT_NE(p.find("'missingKind'"), std::string::npos) << p;
  EXPECT_NE(p.find("choose one of: error, warning, ignore"), std::string::npos) << p;
  EXPECT_NE(p.find("'maxFileSize' in the renderer 'yaml' of pipeline '{{folder}}' must be of type integer"), std::string::npos) << p;
}

TEST(Config, MissingRequiredPluginKey) {
  std::string p = problems(replace(kValid, R"(sink: {type: dir, path: "out/{{folder}}"})", "sink: {type: dir}"));
  EXPECT_NE(p.find("config.yaml:13:11: error: the sink 'dir' of pipeline '{{folder}}' needs 'path'"), std::string::npos) << p;
}

TEST(Config, MissingRequiredKeyOfABlockInAListNamesItsLine) {
  std::string p = problems(replace(kValid, "    type: path\n    path: fleet\n", "    type: path\n"));
  EXPECT_NE(p.find("config.yaml:4:5: error: the source 'path' of source 'fleet' needs 'path'"), std::string::npos) << p;
}

TEST(Config, AKeyOfTheWrongTypeIsOneErrorNotAlsoMissing) {
  std::string p = problems(replace(kValid, "    path: fleet\n", "    path: [a, b]\n"));
  EXPECT_NE(p.find("config.yaml:6:11: error: 'path' in the source 'path' of source 'fleet' must be of type path"),
            std::string::npos) << p;
  EXPECT_EQ(p.find("needs 'path'"), std::string::npos) << p;
  EXPECT_EQ(std::count(p.begin(), p.end(), '\n'), 1) << p;
}

TEST(Config, PluginDirsIsAListOfFoldersBesideTheConfig) {
  ConfigLoad load = parse_config(replace(kValid, "kind: Config\n", "kind: Config\npluginDirs: [plugins, /opt/team]\n"),
                                 "/etc/driftless/config.yaml");
  ASSERT_TRUE(load.config) << format(load.diagnostics.front());
  EXPECT_EQ(load.config->plugin_dirs, (std::vector<std::string>{"/etc/driftless/plugins", "/opt/team"}));
  std::string p = problems(replace(kValid, "kind: Config\n", "kind: Config\npluginDirs: /opt/team\n"));
  EXPECT_NE(p.find("config.yaml:3:13: error: 'pluginDirs' must be a list of folders"), std::string::npos) << p;
  // The key of configs written before the list: one error that says what to write instead.
  p = problems(replace(kValid, "kind: Config\n", "kind: Config\npluginDir: /opt/team\n"));
  EXPECT_NE(p.find("'pluginDir' is now 'pluginDirs', a list of folders searched after the bundled plugins: write "
                   "pluginDirs: [/opt/team]"),
            std::string::npos)
      << p;
  EXPECT_EQ(p.find("unknown key"), std::string::npos) << p;
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
  EXPECT_NE(problems(replace(kValid, "forEachFolder: clusters/*", "forEachFolder: ../*")).find("stays inside the source"),
            std::string::npos);
  const std::string syntax = problems("apiVersion: [\n");
  EXPECT_NE(syntax.find("config.yaml:2:1: error"), std::string::npos) << syntax;
  EXPECT_NE(syntax.find("YAML syntax error"), std::string::npos) << syntax;
}

// Found by tests/fuzz/config_loader: an error about a key that is missing
// took its position from the missing node, which throws (validate crashed).
TEST(Config, ErrorsAboutMissingKeysPointAtTheirMapping) {
  const std::string nameless = problems(replace(kValid, "  - name: \"{{folder}}\"\n    source: fleet", "  - source: fleet"));
  EXPECT_NE(nameless.find("config.yaml:9:5: error: a pipeline needs 'name'"), std::string::npos) << nameless;
  EXPECT_NE(nameless.find("config.yaml:9:5: error: pipeline '' uses forEachFolder, so its name must contain {{folder}}"),
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

TEST(Config, LabelsAreStringsUnderKubernetesStyleKeysAndFilledInPerFolder) {
  const std::string labelled = replace(kValid, "    forEachFolder: clusters/*\n",
                                       "    forEachFolder: clusters/*\n    labels:\n      team: web\n"
                                       "      example.com/env: \"{{folder}}\"\n      tier: \"\"\n");
  ConfigLoad load = parse_config(labelled, "/etc/driftless/config.yaml");
  ASSERT_TRUE(load.config) << format(load.diagnostics.front());
  const PipelineSpec& spec = load.config->pipelines[0];
  EXPECT_EQ(spec.labels, (std::map<std::string, std::string>{{"team", "web"}, {"example.com/env", "{{folder}}"}, {"tier", ""}}));
  ExpandedPipeline prod{&spec, "prod", "prod", "clusters/prod", 0, nullptr};
  EXPECT_EQ(labels_of(prod).at("example.com/env"), "prod");
  EXPECT_EQ(labels_of(prod).at("team"), "web");

  EXPECT_EQ(problems(replace(labelled, "      team: web", "      -team: web")),
            "/etc/driftless/config.yaml:13:7: error: the label key '-team' of pipeline '{{folder}}' must end in a name of "
            "letters, digits, '-', '_' and '.' that starts and ends with a letter or digit\n");
  EXPECT_NE(problems(replace(labelled, "      team: web", "      Example.COM/team: web")).find(":13:7: error: the label key "
                                                                                           "'Example.COM/team' of pipeline "
                                                                                           "'{{folder}}' has a prefix that is "
                                                                                           "not a DNS subdomain"),
            std::string::npos);
  EXPECT_EQ(problems(replace(labelled, "      team: web", "      team: [web, db]")),
            "/etc/driftless/config.yaml:13:13: error: the label 'team' of pipeline '{{folder}}' must be a string\n");
  EXPECT_NE(problems(replace(labelled, "      team: web", "      team: " + std::string(300, 'x'))).find("at most 256 bytes"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "    forEachFolder: clusters/*\n", "    forEachFolder: clusters/*\n    labels: [web]\n"))
                .find("'labels' in pipeline '{{folder}}' must be a mapping of keys to strings"),
            std::string::npos);
}

TEST(Config, LabelKeysFollowKubernetesSyntax) {
  for (const std::string& good : {std::string("team"), std::string("a"), std::string("app.kubernetes.io/name"),
                                  std::string("example.com/Team_1"), std::string("x-y.z"), std::string(63, 'k')})
    EXPECT_EQ(label_key_problem(good), "") << good;
  for (const std::string& bad : {std::string(), std::string("/team"), std::string("team/"), std::string("a b"),
                                 std::string("_team"), std::string("team."), std::string(64, 'k'),
                                 std::string("UPPER.com/team"), std::string("a/b/c"), std::string(254, 'p') + "/team",
                                 std::string("team=web")})
    EXPECT_NE(label_key_problem(bad), "") << bad;
}

TEST(Config, PathsInsideTheSourceAreNormalisedOnceAtLoad) {
  auto path_of = [](const std::string& path) {
    ConfigLoad load = parse_config(replace(replace(kValid, "    forEachFolder: clusters/*\n", "    path: \"" + path + "\"\n"),
                                           "name: \"{{folder}}\"", "name: one"),
                                   "/etc/driftless/config.yaml");
    return load.config ? load.config->pipelines[0].path : "(refused)";
  };
  for (const char* root : {"", ".", "./", ".//.", "/"}) EXPECT_EQ(path_of(root), std::string(*root == '/' ? "(refused)" : ""));
  for (const char* dev : {"clusters/dev", "./clusters/dev/", "clusters//dev", "clusters/./dev", "./clusters/dev/."})
    EXPECT_EQ(path_of(dev), "clusters/dev") << dev;
  ConfigLoad folders = parse_config(replace(kValid, "forEachFolder: clusters/*", "forEachFolder: ./clusters//*/"),
                                    "/etc/driftless/config.yaml");
  ASSERT_TRUE(folders.config);
  EXPECT_EQ(folders.config->pipelines[0].for_each_folder, "clusters/*");
}

TEST(Config, PathsLeavingTheSourceAreRefusedNamingTheKey) {
  const std::string one = replace(kValid, "name: \"{{folder}}\"", "name: one");
  EXPECT_NE(problems(replace(one, "    forEachFolder: clusters/*\n", "    path: clusters/../../etc\n"))
                .find("config.yaml:11:11: error: 'path' in pipeline 'one' is 'clusters/../../etc'; it must be a relative "
                      "path that stays inside the source"),
            std::string::npos);
  EXPECT_NE(problems(replace(one, "    forEachFolder: clusters/*\n", "    path: /etc\n")).find("'path' in pipeline 'one' is '/etc'"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "forEachFolder: clusters/*", "forEachFolder: /clusters/*"))
                .find("'forEachFolder' in pipeline '{{folder}}' is '/clusters/*'"),
            std::string::npos);
}

TEST(Config, NamesWithControlCharactersAreRefused) {
  // A newline in a name would forge a line of the logs and of the state files.
  const std::string p = problems(replace(replace(kValid, "name: \"{{folder}}\"", "name: \"{{folder}}\\nfake\""),
                                         "- name: fleet", "- name: \"fl\\teet\""));
  EXPECT_NE(p.find("the name of a pipeline ('{{folder}}\\nfake') holds a control character"), std::string::npos) << p;
  EXPECT_NE(p.find("the name of a source ('fl\\teet') holds a control character"), std::string::npos) << p;
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

TEST(Config, HighAvailabilityModeShardNeedsAMembershipSinkThatKeepsMemberLeases) {
  const std::string shard = "kind: Config\nhighAvailability:\n  enabled: true\n  mode: shard\n";
  ConfigLoad plain = parse_config(kValid, "/etc/driftless/config.yaml");
  ASSERT_TRUE(plain.config);
  EXPECT_EQ(plain.config->high_availability.mode, HaMode::standby);

  const std::string good = replace(kValid, "kind: Config\n", shard + "  membership: {type: kube, leaseNamespace: driftless}\n");
  ConfigLoad load = parse_config(good, "/etc/driftless/config.yaml");
  ASSERT_TRUE(load.config) << format(load.diagnostics.front());
  EXPECT_EQ(load.config->high_availability.mode, HaMode::shard);
  ASSERT_TRUE(load.config->high_availability.membership);
  EXPECT_EQ(load.config->high_availability.membership->type, "kube");
  EXPECT_EQ(problems(good), "");

  EXPECT_NE(problems(replace(kValid, "kind: Config\n", shard)).find("with mode: shard needs 'membership'"), std::string::npos);
  EXPECT_NE(problems(replace(kValid, "kind: Config\n", shard + "  membership: {type: dir, path: out}\n"))
                .find("sink 'dir' keeps no member leases"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "kind: Config\n", shard + "  membership: {type: kube, leaseNamespace: \"{{folder}}\"}\n"))
                .find("{{folder}} and {{path}} mean nothing here"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "kind: Config\n", shard + "  membership: {type: kube, leaseNamespce: x}\n"))
                .find("unknown key 'leaseNamespce'"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "kind: Config\n", "kind: Config\nhighAvailability: {enabled: true, mode: active}\n"))
                .find("'mode' in 'highAvailability' is 'active'; write standby or shard"),
            std::string::npos);
  EXPECT_NE(problems(replace(kValid, "kind: Config\n",
                             "kind: Config\nhighAvailability: {enabled: true, membership: {type: kube}}\n"))
                .find("'membership' in 'highAvailability' is only for mode: shard"),
            std::string::npos);
}

TEST(Config, ApiBlockNamesTheTokenAndTheAllowedHosts) {
  ConfigLoad plain = parse_config(kValid, "/etc/driftless/config.yaml");
  ASSERT_TRUE(plain.config);
  EXPECT_EQ(plain.config->api.token_file, "");
  EXPECT_EQ(plain.config->api.token_env, "DRIFTLESS_API_TOKEN");
  ConfigLoad api = parse_config(std::string(kValid) + "api: {tokenFile: api-token, tokenEnv: MY_TOKEN, allowedHosts: [d.example]}\n",
                                "/etc/driftless/config.yaml");
  ASSERT_TRUE(api.config) << format(api.diagnostics.front());
  EXPECT_EQ(api.config->api.token_file, "/etc/driftless/api-token");
  EXPECT_EQ(api.config->api.token_env, "MY_TOKEN");
  EXPECT_EQ(api.config->api.allowed_hosts, std::vector<std::string>{"d.example"});
  EXPECT_NE(problems(std::string(kValid) + "api: {token: x}\n").find("unknown key 'token' in 'api'"), std::string::npos);
}

TEST(Config, CredentialsInAPluginUrlAreRefusedWithoutRepeatingThem) {
  const std::string sources = "sources:\n  - name: fleet\n    type: path\n    path: fleet\n    interval: 2m\n";
  for (const char* url : {"https://ghp_s3cret@github.com/acme/fleet.git", "http://user:s3cret@minio:9000",
                          "ssh://git:s3cret@github.com/acme/fleet.git"}) {
    std::string p = problems(replace(kValid, sources, "sources:\n  - name: fleet\n    type: git\n    url: " + std::string(url) +
                                                          "\n    ref: {branch: main}\n"));
    EXPECT_NE(p.find("config.yaml:6:10: error: 'url' in the source 'git' of source 'fleet' is a URL with credentials"),
              std::string::npos) << p;
    EXPECT_EQ(p.find("s3cret"), std::string::npos) << p;
  }
  std::string ssh_user = problems(replace(kValid, sources, "sources:\n  - name: fleet\n    type: git\n"
                                                            "    url: ssh://git@github.com/acme/fleet.git\n    ref: {branch: main}\n"));
  EXPECT_EQ(ssh_user.find("credentials"), std::string::npos) << ssh_user;
}

TEST(Config, RetryIntervalIsADurationOfAPipeline) {
  ConfigLoad load = parse_config(replace(kValid, "    source: fleet\n", "    source: fleet\n    retryInterval: 30s\n"), "/c.yaml");
  ASSERT_TRUE(load.config) << format(load.diagnostics.front());
  EXPECT_EQ(load.config->pipelines[0].retry_interval, std::chrono::seconds(30));
  EXPECT_EQ(parse_config(kValid, "/c.yaml").config->pipelines[0].retry_interval, std::nullopt);
  EXPECT_NE(problems(replace(kValid, "    source: fleet\n", "    source: fleet\n    retryInterval: often\n"))
                .find("config.yaml:11:20: error: 'retryInterval' in pipeline '{{folder}}' is 'often'; write a duration"),
            std::string::npos)
      << problems(replace(kValid, "    source: fleet\n", "    source: fleet\n    retryInterval: often\n"));
}
