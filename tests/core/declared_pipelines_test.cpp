// Pipelines declared by a render (core/pipeline/child_pipelines.hpp): the test
// renderer "test-declare" (test-plugins/declare.cpp) turns objects of kind
// test.driftless.dev/v1 Pipeline into declared pipelines; the engine runs them
// with their own path and the sink config their parent's sink allows, with
// the real path source, yaml renderer and dir and kube sinks.
#include <gtest/gtest.h>

#include <map>

#include "config/plugin_blocks.hpp"
#include "daemon/scheduler.hpp"
#include "pipeline/child_pipelines.hpp"
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

std::string config_map(const std::string& name) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: apps}\ndata: {k: v}\n";
}

class DeclaredPipelinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.load_directories({driftless::test::plugin_dir(), TEST_PLUGIN_DIR});
    write_file(dir_ / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources: [{name: repo, type: path, path: repo}]\n"
               "pipelines:\n  - {name: root, source: repo, path: apps, renderers: [yaml, test-declare], sink: {type: dir, path: " +
                   (dir_ / "out/root").string() + "}}\n");
    write_file(dir_ / "repo/apps/root.yaml", config_map("root-app"));
    write_file(dir_ / "repo/web/app.yaml", config_map("web-app"));
    write_file(dir_ / "repo/db/app.yaml", config_map("db-app"));
    ConfigLoad load = load_config(dir_ / "driftless.yaml");
    ASSERT_TRUE(load.config);
    config_ = std::move(*load.config);
    ASSERT_TRUE(validate_plugin_blocks(config_, registry_).empty());
    EngineOptions options{dir_ / "state"};
    engine_ = std::make_unique<Engine>(config_, registry_, options);
  }

  // Lets apps/declared.yaml declare one pipeline per name, each of the folder
  // of its name, with `more` added to its spec ("dependsOn: [db]").
  void declare(const std::vector<std::string>& names, const std::map<std::string, std::string>& more = {}) {
    std::string text;
    for (const auto& name : names) {
      auto extra = more.find(name);
      text += "---\napiVersion: test.driftless.dev/v1\nkind: Pipeline\nmetadata: {name: " + name + "}\nspec: {path: " +
              name + (extra == more.end() ? "" : ", " + extra->second) + "}\n";
    }
    write_file(dir_ / "repo/apps/declared.yaml", text);
  }

  // Lets the configured pipeline's declarations read sources of their own.
  void allow_declared_sources() {
    configure("{name: root, source: repo, path: apps, allowDeclaredSources: true, renderers: [yaml, test-declare], "
              "sink: {type: dir, path: " + (dir_ / "out/root").string() + "}}");
  }

  // A new engine of a config with the one configured pipeline `pipeline` (YAML in flow style).
  void configure(const std::string& pipeline) {
    write_file(dir_ / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources: [{name: repo, type: path, path: repo}]\n"
               "pipelines:\n  - " + pipeline + "\n");
    engine_.reset();
    ConfigLoad load = load_config(dir_ / "driftless.yaml");
    ASSERT_TRUE(load.config);
    config_ = std::move(*load.config);
    ASSERT_TRUE(validate_plugin_blocks(config_, registry_).empty());
    engine_ = std::make_unique<Engine>(config_, registry_, EngineOptions{dir_ / "state"});
  }

  // Where the dir sink puts a declared pipeline's files: below its parent's.
  fs::path out_of(const std::string& child) { return dir_ / "out/root/_pipelines" / child; }

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
  EXPECT_FALSE(fs::exists(out_of("web") / "apps/configmap-root-app.yaml"));
  EXPECT_TRUE(fs::exists(out_of("web") / "apps/configmap-web-app.yaml"));
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
  declare({"web", "db"}, {{"web", "sink: {path: /tmp/elsewhere}"}});
  auto bad = engine_->run(RunStage::apply);
  EXPECT_EQ(names(bad), (Names{"root failed", "root/web", "root/db"}));
  EXPECT_NE(messages(bad[0]).find("apps/declared.yaml:2: error: the pipeline declared here cannot be run: sink 'dir': "
                                  "pipeline 'root/web' may not set 'path': a declared pipeline writes below its parent's "
                                  "path (Pipeline/web)"),
            std::string::npos)
      << messages(bad[0]);
  EXPECT_FALSE(fs::exists("/tmp/elsewhere"));

  // What a declaration says about applying to a cluster means nothing to files: accepted, no effect.
  declare({"web", "db"}, {{"web", "sink: {wait: true, healthTimeout: 1m, namespace: shop, impersonate: {user: u}}"}});
  auto cluster_keys = engine_->run(RunStage::apply);
  ASSERT_EQ(names(cluster_keys), (Names{"root", "root/web", "root/db"})) << messages(cluster_keys[0]) << messages(cluster_keys[1]);

  // No longer declared: gone from the pipelines, its objects left in place, with a warning.
  declare({"web"});
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/web"})) << messages(runs[0]);
  EXPECT_TRUE(runs[0].declared_changed);
  EXPECT_NE(messages(runs[0]).find("warning: pipeline 'root/db' is no longer declared; its objects were left in place"),
            std::string::npos)
      << messages(runs[0]);
  EXPECT_EQ(targets(), (Names{"root@repo", "root/web@repo"}));
  EXPECT_TRUE(fs::exists(out_of("db") / "apps/configmap-db-app.yaml"));
  EXPECT_NE(messages(engine_->run(RunStage::render, "root/db")[0]).find("no pipeline named 'root/db'"), std::string::npos);
}

TEST_F(DeclaredPipelinesTest, DeclarationsNestOnlySoDeep) {
  // Each level declares the next from the same folder: root/a, root/a/a, ... until the limit stops it.
  write_file(dir_ / "repo/apps/declared.yaml", "apiVersion: test.driftless.dev/v1\nkind: Pipeline\nmetadata: {name: a}\n"
                                               "spec: {path: apps}\n");
  auto runs = engine_->run(RunStage::render);
  ASSERT_EQ(names(runs), (Names{"root", "root/a", "root/a/a", "root/a/a/a failed"}));
  EXPECT_NE(messages(runs.back()).find("apps/declared.yaml:1: error: pipeline 'root/a/a/a' is nested 3 deep and may declare no "
                                       "more pipelines (Pipeline/a)"),
            std::string::npos)
      << messages(runs.back());
}

TEST_F(DeclaredPipelinesTest, DependenciesRunFirstAndADependentWaitsUntilTheyAreApplied) {
  // Declared web before db, but web depends on db: db runs first.
  declare({"web", "db"}, {{"web", "dependsOn: [db]"}});
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/db", "root/web"})) << messages(runs[0]);

  // db breaks: web waits (an error saying why), is not applied and prunes nothing.
  write_file(dir_ / "repo/db/app.yaml", "apiVersion: v1\nkind: [broken\n");
  write_file(dir_ / "repo/web/app.yaml", config_map("web-app-2"));
  runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/db failed", "root/web failed"}));
  EXPECT_EQ(runs[2].waiting_for, Names{"root/db"});
  EXPECT_NE(messages(runs[2]).find("apps/declared.yaml:2: error: waits for 'root/db' (dependsOn) to be applied without "
                                   "errors at "),
            std::string::npos)
      << messages(runs[2]);
  EXPECT_TRUE(fs::exists(out_of("web") / "apps/configmap-web-app.yaml"));
  EXPECT_FALSE(fs::exists(out_of("web") / "apps/configmap-web-app-2.yaml"));

  // Alone (as the scheduler runs it) it also waits, until db is fixed and applied at this revision.
  write_file(dir_ / "repo/db/app.yaml", config_map("db-app"));
  engine_->fetch("repo");
  EXPECT_EQ(engine_->run(RunStage::apply, "root/web", false)[0].waiting_for, Names{"root/db"});
  ASSERT_EQ(names(engine_->run(RunStage::apply, "root/db", false)), Names{"root/db"});
  ASSERT_EQ(names(engine_->run(RunStage::apply, "root/web", false)), Names{"root/web"});
  EXPECT_TRUE(fs::exists(out_of("web") / "apps/configmap-web-app-2.yaml"));

  // A render or a diff does not wait.
  EXPECT_TRUE(engine_->run(RunStage::diff, "root/web", false)[0].waiting_for.empty());
}

TEST_F(DeclaredPipelinesTest, AMissingOrCyclicDependencyFailsTheParentsRenderNamingTheDeclaration) {
  declare({"web", "db", "cache"}, {{"web", "dependsOn: [db]"}, {"db", "dependsOn: [web]"}, {"cache", "dependsOn: [queue]"}});
  write_file(dir_ / "repo/cache/app.yaml", config_map("cache-app"));
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root failed"})) << messages(runs[0]);
  const std::string m = messages(runs[0]);
  EXPECT_NE(m.find("apps/declared.yaml:2: error: pipeline 'root/web' depends on itself through dependsOn"), std::string::npos) << m;
  EXPECT_NE(m.find("apps/declared.yaml:12: error: pipeline 'root/cache' depends on 'root/queue', which is not declared "
                   "beside it (Pipeline/cache)"),
            std::string::npos)
      << m;

  // Without the cycle and the unknown name, all three run, each after what it needs.
  declare({"web", "db", "cache"}, {{"web", "dependsOn: [db, cache]"}, {"db", "dependsOn: [cache]"}});
  EXPECT_EQ(names(engine_->run(RunStage::apply)), (Names{"root", "root/cache", "root/db", "root/web"}));
}

TEST_F(DeclaredPipelinesTest, ASuspendedDeclarationIsKeptButNeverApplied) {
  declare({"web"}, {{"web", "suspend: true"}});
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/web"}));
  EXPECT_TRUE(runs[1].suspended);
  EXPECT_NE(messages(runs[1]).find("info: suspended by Pipeline/web (spec.suspend); nothing is applied"), std::string::npos)
      << messages(runs[1]);
  EXPECT_FALSE(fs::exists(out_of("web")));
}

// The kube sink lets a declared pipeline choose how it applies, never another
// identity than its parent's, and another cluster only among those offered.
TEST_F(DeclaredPipelinesTest, TheKubeSinkNarrowsADeclaredPipelineToItsParentsClusterAndIdentity) {
  const SinkFactory* kube = registry_.sink("kube");
  ASSERT_NE(kube, nullptr);
  auto parse = [](const std::string& json) { return *parse_json(json); };
  const Value admin = parse(R"({"kubeconfig":"/etc/kube/admin","prune":true})");
  const Value tenant = parse(R"({"kubeconfig":"/etc/kube/admin","impersonate":{"user":"tenant-a"}})");

  auto narrowed = kube->narrow(admin, parse(R"({"prune":false,"namespace":"web","impersonate":{"user":"system:serviceaccount:web:deployer"}})"), "root/web");
  ASSERT_TRUE(narrowed.ok()) << narrowed.error().message;
  EXPECT_EQ(to_json(*narrowed), R"({"kubeconfig":"/etc/kube/admin","prune":false,"namespace":"web","impersonate":{"user":"system:serviceaccount:web:deployer"}})");

  for (const char* wider : {R"({"kubeconfig":"/tmp/other"})", R"({"concurrency":1000})"}) {
    auto refused = kube->narrow(admin, parse(wider), "root/web");
    ASSERT_FALSE(refused.ok()) << wider;
    EXPECT_NE(refused.error().message.find("a declared pipeline uses its parent's cluster and identity"), std::string::npos);
  }
  // Another cluster: only a context of the parent's kubeconfig that the parent offers.
  auto other = kube->narrow(admin, parse(R"({"context":"prod"})"), "root/web");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message, "pipeline 'root/web' asks for the cluster of kubeconfig context 'prod', which its parent's "
                                   "sink does not offer: add it to the sink's declaredContexts to let the repository apply "
                                   "to that cluster");
  const Value hub = parse(R"({"kubeconfig":"/etc/kube/fleet","context":"hub","declaredContexts":["edge-1","edge-2"]})");
  auto edge = kube->narrow(hub, parse(R"({"context":"edge-2"})"), "root/web");
  ASSERT_TRUE(edge.ok()) << edge.error().message;
  EXPECT_EQ(edge->string_or("context"), "edge-2");
  EXPECT_TRUE(kube->narrow(hub, parse(R"({"context":"hub"})"), "root/web").ok()) << "its own cluster needs no offer";
  EXPECT_FALSE(kube->narrow(hub, parse(R"({"context":"prod"})"), "root/web").ok());
  auto escape = kube->narrow(tenant, parse(R"({"impersonate":{"user":"admin"}})"), "root/web");
  ASSERT_FALSE(escape.ok());
  EXPECT_NE(escape.error().message.find("impersonates 'tenant-a'; a declared pipeline never gets more than its parent"),
            std::string::npos)
      << escape.error().message;
  EXPECT_TRUE(kube->narrow(tenant, parse(R"({"impersonate":{"user":"tenant-a"}})"), "root/web").ok());
  EXPECT_EQ(to_json(*kube->narrow(tenant, parse("{}"), "root/web")), to_json(tenant));
}

// Where a declared pipeline writes: the context it narrowed to, else its
// parent's (explicit, or the kubeconfig's current-context).
TEST_F(DeclaredPipelinesTest, ADeclaredPipelinesClusterIsTheContextItsSinkWasNarrowedTo) {
  const SinkFactory* kube = registry_.sink("kube");
  ASSERT_NE(kube, nullptr);
  write_file(dir_ / "kubeconfig",
             "apiVersion: v1\nkind: Config\ncurrent-context: hub\n"
             "clusters:\n  - {name: hub, cluster: {server: \"https://127.0.0.1:1\"}}\n"
             "  - {name: edge, cluster: {server: \"https://127.0.0.1:2\"}}\n"
             "users: [{name: admin, user: {token: t}}]\n"
             "contexts:\n  - {name: hub, context: {cluster: hub, user: admin}}\n  - {name: edge-2, context: {cluster: edge, user: admin}}\n");
  PipelineSpec parent = config_.pipelines.front();
  auto checked = check_plugin_value(
      kube->config_keys(), *parse_json(R"({"kubeconfig":")" + (dir_ / "kubeconfig").string() + R"(","declaredContexts":["edge-2"]})"),
      "sink");
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  parent.sink = PluginBlock{"kube", *checked, nullptr, parent.location};
  EXPECT_EQ(kube->target(parent.sink.config), "hub") << "the kubeconfig's current-context";
  DeclaredPipeline edge, same;
  edge.name = "edge";
  edge.sink = *parse_json(R"({"context":"edge-2"})");
  same.name = "same";
  std::vector<Diagnostic> problems;
  auto children = declared_children({edge, same}, parent, "root", 0, registry_, problems);
  ASSERT_EQ(children.size(), 2u) << (problems.empty() ? "" : format(problems.front()));
  EXPECT_EQ(kube->target(children[0].sink.config), "edge-2");
  EXPECT_EQ(kube->target(children[1].sink.config), "hub");
  EXPECT_EQ(kube->target(*parse_json(R"({"kubeconfig":"/nonexistent/kubeconfig"})")), "") << "no cluster: no name";
}

// A declared pipeline has its parent's labels, {{folder}} filled in with the
// parent's folder, and its own sink's target as its cluster.
TEST_F(DeclaredPipelinesTest, ADeclaredPipelineHasItsParentsLabelsAndItsOwnCluster) {
  configure("{name: \"{{folder}}\", source: repo, forEachFolder: apps, labels: {team: \"{{folder}}\", tier: web}, "
            "renderers: [yaml, test-declare], sink: {type: dir, path: " + (dir_ / "out/root").string() + "}}");
  declare({"web"});
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"apps", "apps/web"})) << messages(runs[0]);
  const auto targets = engine_->targets();
  ASSERT_EQ(targets.size(), 2u);
  const std::map<std::string, std::string> labels{{"team", "apps"}, {"tier", "web"}};
  EXPECT_EQ(targets[0].labels, labels);
  EXPECT_EQ(targets[1].labels, labels);
  EXPECT_EQ(targets[0].cluster, (dir_ / "out/root").string());
  EXPECT_EQ(targets[1].cluster, out_of("web").string());
}

// A declaration's sink keys are laid over the parent's checked block, whose
// durations are milliseconds: both kinds of value reach the child as the
// sink reads them (a kube parent with a healthTimeout, a child asking for another).
TEST_F(DeclaredPipelinesTest, ADeclaredPipelinesSinkKeysAreCheckedAsTheConfigsAre) {
  const SinkFactory* kube = registry_.sink("kube");
  ASSERT_NE(kube, nullptr);
  PipelineSpec parent = config_.pipelines.front();
  auto checked = check_plugin_value(kube->config_keys(), *parse_json(R"({"kubeconfig":"/etc/kube/admin","healthTimeout":"60s"})"), "sink");
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  parent.sink = PluginBlock{"kube", *checked, nullptr, parent.location};
  DeclaredPipeline web;
  web.name = "web";
  web.sink = *parse_json(R"({"healthTimeout":"30s","createNamespaces":true})");
  std::vector<Diagnostic> problems;
  auto children = declared_children({web}, parent, "root", 0, registry_, problems);
  ASSERT_EQ(children.size(), 1u) << (problems.empty() ? "" : format(problems.front()));
  EXPECT_EQ(children[0].sink.config.find("healthTimeout")->as_int(), 30000);
  EXPECT_EQ(children[0].sink.config.find("requestTimeout")->as_int(), 30000);
  EXPECT_TRUE(children[0].sink.config.find("createNamespaces")->as_bool());
  web.sink = *parse_json(R"({"healthTimeout":"soon"})");
  declared_children({web}, parent, "root", 0, registry_, problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("'healthTimeout' in sink 'kube' must be a duration"), std::string::npos) << problems[0].message;
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
  EXPECT_TRUE(fs::exists(out_of("web") / "apps/configmap-web-app.yaml"));
  declare({});
  scheduler.fetch_now({});
  EXPECT_TRUE(eventually([&] { return state_of("root/web") == "absent"; }, 10s)) << state_of("root/web");
  EXPECT_TRUE(fs::exists(out_of("web") / "apps/configmap-web-app.yaml"));  // left in place
  scheduler.stop();
}

TEST_F(DeclaredPipelinesTest, ASourceOfItsOwnIsFetchedOnlyWhereTheConfiguredPipelineAllowsIt) {
  // Another tree, as another repository would be.
  write_file(dir_ / "other/team/app.yaml", config_map("team-app"));
  const std::string other = "source: {type: path, config: {path: " + (dir_ / "other").string() + "}}";
  declare({"team"}, {{"team", other}});
  auto refused = engine_->run(RunStage::apply);
  ASSERT_EQ(names(refused), (Names{"root failed"})) << messages(refused[0]);
  EXPECT_NE(messages(refused[0]).find("apps/declared.yaml:2: error: the pipeline declared here cannot be run: it reads a "
                                      "source of its own (path " + (dir_ / "other").string() + "), which the configured "
                                      "pipeline does not allow: set allowDeclaredSources: true"),
            std::string::npos)
      << messages(refused[0]);

  allow_declared_sources();
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/team"})) << messages(runs[0]) << messages(runs[1]);
  EXPECT_TRUE(fs::exists(out_of("team") / "apps/configmap-team-app.yaml"));
  EXPECT_NE(runs[1].revision, runs[0].revision);  // the other tree's, not the parent's

  // The other tree breaks: nothing of the pipeline is applied or pruned; its files stay.
  fs::remove_all(dir_ / "other");
  auto broken = engine_->run(RunStage::apply);
  ASSERT_EQ(names(broken), (Names{"root", "root/team failed"})) << messages(broken[1]);
  EXPECT_NE(messages(broken[1]).find("error: the path source this pipeline reads could not be fetched"), std::string::npos)
      << messages(broken[1]);
  EXPECT_TRUE(fs::exists(out_of("team") / "apps/configmap-team-app.yaml"));
}

TEST_F(DeclaredPipelinesTest, ADependencyOnAnotherSourceWaitsForItsLastApplyNotForTheSameRevision) {
  allow_declared_sources();
  write_file(dir_ / "other/team/app.yaml", config_map("team-app"));
  declare({"team", "web"}, {{"team", "source: {type: path, config: {path: " + (dir_ / "other").string() + "}}"},
                            {"web", "dependsOn: [team]"}});
  auto runs = engine_->run(RunStage::apply);
  ASSERT_EQ(names(runs), (Names{"root", "root/team", "root/web"})) << messages(runs[2]);
  EXPECT_TRUE(runs[2].waiting_for.empty()) << messages(runs[2]);
}

namespace {

// The config's pipeline `root` with `keys` added (flow-style YAML), loaded and
// checked like the daemon's; the problems of both steps.
struct LoadedRoot {
  Config config;
  std::string problems;
};
LoadedRoot load_root(const TempDir& dir, const PluginRegistry& registry, const std::string& keys) {
  write_file(dir / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources: [{name: repo, type: path, path: repo}]\n"
             "pipelines:\n  - {name: root, source: repo, path: apps, renderers: [yaml], sink: {type: dir, path: out}, " +
                 keys + "}\n");
  LoadedRoot loaded;
  ConfigLoad load = load_config(dir / "driftless.yaml");
  for (const auto& d : load.diagnostics) loaded.problems += format(d) + "\n";
  if (!load.config) return loaded;
  loaded.config = std::move(*load.config);
  for (const auto& d : validate_plugin_blocks(loaded.config, registry)) loaded.problems += format(d) + "\n";
  return loaded;
}

DeclaredPipeline declared_git(const std::string& name, const std::string& url, const std::string& more = "") {
  DeclaredPipeline d;
  d.name = name;
  d.source = PluginUse{"git", *parse_json(R"({"url": ")" + url + R"(", "ref": {"branch": "main")" + more + "}}")};
  d.origin = {"clusters/prod/tenants.yaml", 0, 7};
  return d;
}

}  // namespace

// The operator lends credentials to the sources a repository declares, by URL
// prefix and source type; the longest prefix covering the URL by whole path
// segments wins, and a declaration can never bring credentials of its own.
TEST(DeclaredSourceAuth, TheLongestPrefixOfTheSourcesTypeCoveringTheUrlLendsItsAuth) {
  TempDir dir;
  PluginRegistry registry;
  registry.load_directories({driftless::test::plugin_dir()});
  auto root = load_root(dir, registry,
                        "allowDeclaredSources: true, declaredSourceAuth: ["
                        "{type: git, urlPrefix: 'https://git.example.com/teams', auth: {username: bot, passwordFile: teams-token}},"
                        "{type: git, urlPrefix: 'https://git.example.com/teams/payments/', auth: {tokenFile: payments-token}},"
                        "{type: git, urlPrefix: 'ssh://git@git.example.com/platform/', auth: {sshKeyFile: deploy-key}},"
                        "{type: oci, urlPrefix: 'oci://ghcr.io/acme/', auth: {username: acme, passwordFile: ghcr}}]");
  ASSERT_EQ(root.problems, "");
  const PipelineSpec& parent = root.config.pipelines.at(0);
  std::vector<DeclaredPipeline> declared = {
      declared_git("shop", "https://git.example.com/teams/shop.git"),
      declared_git("payments", "https://git.example.com/teams/payments/api"),
      declared_git("elsewhere", "https://git.example.com/teams-b/app"),
      declared_git("public", "https://github.com/stefanprodan/podinfo"),
      declared_git("platform", "git@git.example.com:platform/infra.git"),
  };
  std::vector<Diagnostic> out;
  auto children = declared_children(declared, parent, "root", 0, registry, out);
  std::string problems;
  for (const auto& d : out) problems += format(d) + "\n";
  ASSERT_EQ(children.size(), 5u) << problems;
  auto auth_of = [&](const std::string& name) {
    for (const auto& child : children)
      if (child.name == "root/" + name) {
        const Value* auth = child.declared_source->config.find("auth");
        return auth ? to_json(*auth) : std::string("none");
      }
    return std::string("absent");
  };
  EXPECT_EQ(auth_of("shop"), R"({"username":"bot","passwordFile":")" + (dir / "teams-token").string() + R"("})")
      << "the relative path of the config, made absolute";
  EXPECT_EQ(auth_of("payments"), R"({"tokenFile":")" + (dir / "payments-token").string() + R"("})") << "the longer prefix";
  EXPECT_EQ(auth_of("elsewhere"), "none") << "teams-b is not under teams";
  EXPECT_EQ(auth_of("public"), "none");
  EXPECT_EQ(auth_of("platform"), R"({"sshKeyFile":")" + (dir / "deploy-key").string() + R"("})")
      << "an scp-like URL is matched as ssh://git@host/path";
  // The children carry the entries on, for what they declare in turn.
  EXPECT_EQ(children[0].declared_source_auth.size(), 4u);
}

TEST(DeclaredSourceAuth, ADeclarationWithCredentialsOrAnSshUrlWithoutLentKeysIsRefused) {
  TempDir dir;
  PluginRegistry registry;
  registry.load_directories({driftless::test::plugin_dir()});
  auto root = load_root(dir, registry, "allowDeclaredSources: true");
  ASSERT_EQ(root.problems, "");
  std::vector<Diagnostic> out;
  auto children = declared_children(
      {declared_git("sneaky", "https://git.example.com/a", R"(}, "auth": {"passwordFile": "/etc/shadow")"),
       declared_git("ssh", "ssh://git@git.example.com/team/app")},
      root.config.pipelines.at(0), "root", 0, registry, out);
  std::string problems;
  for (const auto& d : out) problems += format(d) + "\n";
  EXPECT_TRUE(children.empty()) << problems;
  EXPECT_NE(problems.find("the declaration carries credentials ('auth'), which only the config may give"), std::string::npos)
      << problems;
  EXPECT_NE(problems.find("it reads ssh://git.example.com/team/app over ssh, which needs a key: add a declaredSourceAuth "
                          "entry (type: git) whose urlPrefix covers it"),
            std::string::npos)
      << problems;
  EXPECT_EQ(problems.find("/etc/shadow"), std::string::npos) << "a path a declaration names is not echoed";
}

TEST(DeclaredSourceAuth, BadEntriesAreConfigErrorsNamingTheKey) {
  TempDir dir;
  PluginRegistry registry;
  registry.load_directories({driftless::test::plugin_dir()});
  EXPECT_NE(load_root(dir, registry, "declaredSourceAuth: [{type: git, urlPrefix: 'https://g.example.com/t/', auth: {tokenFile: t}}]")
                .problems.find("sets 'declaredSourceAuth' without 'allowDeclaredSources: true'"),
            std::string::npos);
  auto typo = load_root(dir, registry,
                        "allowDeclaredSources: true, declaredSourceAuth: [{type: git, urlPrefix: 'https://g.example.com/t/', "
                        "auth: {passwordFiles: t}}]");
  EXPECT_NE(typo.problems.find("driftless.yaml:5:"), std::string::npos) << typo.problems;
  EXPECT_NE(typo.problems.find("unknown key 'passwordFiles'"), std::string::npos) << typo.problems;
  auto no_auth_key = load_root(dir, registry,
                               "allowDeclaredSources: true, declaredSourceAuth: [{type: path, urlPrefix: 'https://g.example.com/t/', "
                               "auth: {tokenFile: t}}]");
  EXPECT_NE(no_auth_key.problems.find("names source type 'path', which takes no credentials"), std::string::npos)
      << no_auth_key.problems;
  auto no_scheme = load_root(dir, registry,
                             "allowDeclaredSources: true, declaredSourceAuth: [{type: git, urlPrefix: 'g.example.com/t', "
                             "auth: {tokenFile: t}}]");
  EXPECT_NE(no_scheme.problems.find("it must be a URL with a scheme and a host"), std::string::npos) << no_scheme.problems;
  auto missing = load_root(dir, registry, "allowDeclaredSources: true, declaredSourceAuth: [{type: git, urlPrefix: 'https://g.example.com/t/'}]");
  EXPECT_NE(missing.problems.find("needs 'auth', the credentials to lend"), std::string::npos) << missing.problems;
}
