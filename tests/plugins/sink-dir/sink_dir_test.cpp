#include <gtest/gtest.h>

#include "driftless/plugin.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

KubeObject object(const std::string& kind, const std::string& ns, const std::string& name, const std::string& data = "v") {
  Object metadata;
  metadata.set("name", name);
  if (!ns.empty()) metadata.set("namespace", ns);
  Object body;
  body.set("apiVersion", "v1");
  body.set("kind", kind);
  body.set("metadata", std::move(metadata));
  if (kind == "ConfigMap" || kind == "Secret") {
    Object d;
    d.set("k", data);
    body.set("data", std::move(d));
  }
  return KubeObject{Value(std::move(body)), Provenance{"repo/" + name + ".yaml", 0, 1}};
}

class SinkDirTest : public ::testing::Test {
 protected:
  SinkReport sync(const std::vector<KubeObject>& objects, SinkMode mode = SinkMode::apply, bool prune = true,
                  bool allow_empty = false) {
    Object config;
    config.set("path", (dir_ / "out").string());
    config.set("prune", prune);
    config.set("allowEmpty", allow_empty);
    auto sink = plugins().sink("dir")->create(Value(std::move(config)));
    EXPECT_TRUE(sink.ok());
    return (*sink)->sync(context_, SinkRequest{objects, mode});
  }
  static int count(const SinkReport& r, ChangeAction a) {
    int n = 0;
    for (const auto& c : r.changes) n += c.action == a;
    return n;
  }
  TempDir dir_;
  TestContext context_;
};

}  // namespace

TEST_F(SinkDirTest, WritesOneFilePerObjectByNamespace) {
  auto r = sync({object("Namespace", "", "shop"), object("ConfigMap", "shop", "settings")});
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(count(r, ChangeAction::created), 2);
  EXPECT_TRUE(fs::exists(dir_ / "out/_cluster/namespace-shop.yaml"));
  EXPECT_NE(read_file(dir_ / "out/shop/configmap-settings.yaml").find("k: v"), std::string::npos);
}

TEST_F(SinkDirTest, UnchangedObjectsAreNotRewritten) {
  sync({object("ConfigMap", "shop", "settings")});
  const auto file = dir_ / "out/shop/configmap-settings.yaml";
  const auto written = fs::last_write_time(file);
  fs::last_write_time(file, written - std::chrono::hours(1));
  auto r = sync({object("ConfigMap", "shop", "settings")});
  EXPECT_EQ(count(r, ChangeAction::unchanged), 1);
  EXPECT_EQ(fs::last_write_time(file), written - std::chrono::hours(1));
}

TEST_F(SinkDirTest, PrunesOnlyItsOwnFiles) {
  sync({object("ConfigMap", "shop", "a"), object("ConfigMap", "shop", "b")});
  write_file(dir_ / "out/shop/notes.txt", "mine");
  auto r = sync({object("ConfigMap", "shop", "a")});
  EXPECT_EQ(count(r, ChangeAction::pruned), 1);
  EXPECT_FALSE(fs::exists(dir_ / "out/shop/configmap-b.yaml"));
  EXPECT_TRUE(fs::exists(dir_ / "out/shop/notes.txt"));
}

TEST_F(SinkDirTest, PruneOffKeepsFiles) {
  sync({object("ConfigMap", "shop", "a"), object("ConfigMap", "shop", "b")});
  auto r = sync({object("ConfigMap", "shop", "a")}, SinkMode::apply, false);
  EXPECT_EQ(count(r, ChangeAction::skipped), 1);
  EXPECT_TRUE(fs::exists(dir_ / "out/shop/configmap-b.yaml"));
}

TEST_F(SinkDirTest, EmptyRenderNeverWipesWithoutAllowEmpty) {
  sync({object("ConfigMap", "shop", "a")});
  auto r = sync({});
  EXPECT_TRUE(has_errors(r.diagnostics));
  EXPECT_TRUE(fs::exists(dir_ / "out/shop/configmap-a.yaml"));
  auto allowed = sync({}, SinkMode::apply, true, true);
  EXPECT_FALSE(has_errors(allowed.diagnostics));
  EXPECT_FALSE(fs::exists(dir_ / "out/shop/configmap-a.yaml"));
}

TEST_F(SinkDirTest, HostileNamesAreRefusedBeforeAnyWrite) {
  auto r = sync({object("ConfigMap", "shop", "fine"), object("ConfigMap", "..", "escape")});
  ASSERT_TRUE(has_errors(r.diagnostics));
  EXPECT_EQ(r.diagnostics[0].file, "repo/escape.yaml");
  EXPECT_FALSE(fs::exists(dir_ / "out/shop/configmap-fine.yaml"));
  EXPECT_FALSE(fs::exists(dir_ / "configmap-escape.yaml"));
}

TEST_F(SinkDirTest, DiffModeWritesNothingAndMasksSecrets) {
  sync({object("Secret", "shop", "creds", "c2VjcmV0")});
  auto r = sync({object("Secret", "shop", "creds", "bmV3c2VjcmV0")}, SinkMode::diff);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].action, ChangeAction::configured);
  EXPECT_EQ(r.changes[0].detail.find("c2VjcmV0"), std::string::npos) << r.changes[0].detail;
  EXPECT_EQ(r.changes[0].detail.find("bmV3c2VjcmV0"), std::string::npos) << r.changes[0].detail;
  EXPECT_NE(read_file(dir_ / "out/shop/secret-creds.yaml").find("c2VjcmV0"), std::string::npos);
}
