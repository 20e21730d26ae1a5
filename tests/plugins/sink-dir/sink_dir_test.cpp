#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "driftless/plugin.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

KubeObject object(const std::string& kind, const std::string& ns, const std::string& name, const std::string& data = "v",
                  const std::string& api_version = "v1") {
  Object metadata;
  metadata.set("name", name);
  if (!ns.empty()) metadata.set("namespace", ns);
  Object body;
  body.set("apiVersion", api_version);
  body.set("kind", kind);
  body.set("metadata", std::move(metadata));
  if (kind == "ConfigMap" || kind == "Secret" || kind == "Widget") {
    Object d;
    d.set("k", data);
    body.set("data", std::move(d));
  }
  return KubeObject{Value(std::move(body)), Provenance{"repo/" + name + ".yaml", 0, 1}};
}

fs::perms permissions(const fs::path& file) { return fs::status(file).permissions(); }

// Everything below `dir` (relative paths), to show that nothing else appeared.
std::set<std::string> tree(const fs::path& dir) {
  std::set<std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) entries.insert(fs::relative(entry.path(), dir).string());
  return entries;
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

TEST_F(SinkDirTest, ObjectsDifferingOnlyInApiGroupGetOneFileEach) {
  auto r = sync({object("Widget", "shop", "w", "from-a", "a.example.com/v1"), object("Widget", "shop", "w", "from-b", "b.example.com/v1"),
                 object("ConfigMap", "shop", "w")});
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(count(r, ChangeAction::created), 3);
  EXPECT_NE(read_file(dir_ / "out/shop/widget.a.example.com_w.yaml").find("from-a"), std::string::npos);
  EXPECT_NE(read_file(dir_ / "out/shop/widget.b.example.com_w.yaml").find("from-b"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "out/shop/configmap-w.yaml"));
}

TEST_F(SinkDirTest, TheSameObjectTwiceIsRefusedNamingBoth) {
  auto v1 = object("Widget", "shop", "w", "one", "a.example.com/v1");
  auto v2 = object("Widget", "shop", "w", "two", "a.example.com/v2");
  v2.origin.file = "repo/other.yaml";
  auto r = sync({v1, v2});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::error);
  EXPECT_NE(r.diagnostics[0].message.find("a.example.com/v1 Widget/shop/w (repo/w.yaml:1)"), std::string::npos)
      << r.diagnostics[0].message;
  EXPECT_NE(r.diagnostics[0].message.find("a.example.com/v2 Widget/shop/w (repo/other.yaml:1)"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(SinkDirTest, AFailedWriteLeavesThePreviousOutputWhole) {
  sync({object("ConfigMap", "shop", "a", "old"), object("ConfigMap", "shop", "b")});
  const auto before = tree(dir_ / "out");
  fs::create_directories(dir_ / "out/shop/configmap-c.yaml");  // a folder where c's file must go
  auto r = sync({object("ConfigMap", "shop", "a", "new"), object("ConfigMap", "shop", "c"), object("ConfigMap", "zoo", "d")});
  ASSERT_TRUE(has_errors(r.diagnostics));
  EXPECT_NE(r.diagnostics[0].message.find("configmap-c.yaml: a folder is in the way"), std::string::npos)
      << r.diagnostics[0].message;
  EXPECT_EQ(r.diagnostics[0].file, "repo/c.yaml");
  EXPECT_NE(read_file(dir_ / "out/shop/configmap-a.yaml").find("k: old"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "out/shop/configmap-b.yaml"));  // an error never prunes
  fs::remove(dir_ / "out/shop/configmap-c.yaml");
  EXPECT_EQ(tree(dir_ / "out"), before);  // no temporary files, no new folder, the same inventory
}

TEST_F(SinkDirTest, AFileInThePlaceOfAFolderFailsTheWholeWrite) {
  sync({object("ConfigMap", "shop", "a", "old")});
  write_file(dir_ / "out/zoo", "not a folder");
  auto r = sync({object("ConfigMap", "shop", "a", "new"), object("ConfigMap", "zoo", "d")});
  ASSERT_TRUE(has_errors(r.diagnostics));
  EXPECT_NE(r.diagnostics[0].message.find("out/zoo/configmap-d.yaml: Not a directory"), std::string::npos)
      << r.diagnostics[0].message;
  EXPECT_NE(read_file(dir_ / "out/shop/configmap-a.yaml").find("k: old"), std::string::npos);
  EXPECT_TRUE(r.changes.empty());
}

TEST_F(SinkDirTest, SecretsAreReadableByTheOwnerOnly) {
  const mode_t umask_before = ::umask(022);
  sync({object("Secret", "shop", "creds"), object("ConfigMap", "shop", "settings")});
  EXPECT_EQ(permissions(dir_ / "out/shop/secret-creds.yaml"), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(permissions(dir_ / "out/shop/configmap-settings.yaml"),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  // A Secret file an older version left world-readable is tightened even when unchanged.
  fs::permissions(dir_ / "out/shop/secret-creds.yaml", fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  auto r = sync({object("Secret", "shop", "creds"), object("ConfigMap", "shop", "settings")});
  EXPECT_EQ(count(r, ChangeAction::unchanged), 2);
  EXPECT_EQ(permissions(dir_ / "out/shop/secret-creds.yaml"), fs::perms::owner_read | fs::perms::owner_write);
  ::umask(umask_before);
}

TEST_F(SinkDirTest, ANoOpSyncWritesNothing) {
  sync({object("ConfigMap", "shop", "a")});
  const auto inventory = dir_ / "out/.driftless-inventory";
  fs::last_write_time(inventory, fs::last_write_time(inventory) - std::chrono::hours(1));
  const auto written = fs::last_write_time(inventory);
  sync({object("ConfigMap", "shop", "a")});
  EXPECT_EQ(fs::last_write_time(inventory), written);
}

TEST_F(SinkDirTest, PipelinesSharingAFolderPruneOnlyTheirOwnFiles) {
  context_.pipeline_name = "shop";
  sync({object("ConfigMap", "shop", "a"), object("ConfigMap", "shop", "b")});
  context_.pipeline_name = "billing";
  auto r = sync({object("ConfigMap", "billing", "c")});
  EXPECT_EQ(count(r, ChangeAction::pruned), 0) << "billing prunes nothing of shop's";
  EXPECT_TRUE(fs::exists(dir_ / "out/shop/configmap-a.yaml"));
  EXPECT_TRUE(fs::exists(dir_ / "out/shop/configmap-b.yaml"));

  context_.pipeline_name = "shop";
  r = sync({object("ConfigMap", "shop", "a")});
  EXPECT_EQ(count(r, ChangeAction::pruned), 1);
  EXPECT_FALSE(fs::exists(dir_ / "out/shop/configmap-b.yaml"));
  EXPECT_TRUE(fs::exists(dir_ / "out/billing/configmap-c.yaml")) << "shop prunes nothing of billing's";
  EXPECT_EQ(read_file(dir_ / "out/.driftless-inventory"), "billing/configmap-c.yaml\tbilling\nshop/configmap-a.yaml\tshop\n");
}

TEST_F(SinkDirTest, AFileAnotherPipelineWritesIsRefused) {
  context_.pipeline_name = "shop";
  sync({object("ConfigMap", "shop", "a", "shop's")});
  context_.pipeline_name = "billing";
  auto r = sync({object("ConfigMap", "shop", "a", "billing's"), object("ConfigMap", "billing", "c")});
  ASSERT_TRUE(has_errors(r.diagnostics));
  EXPECT_NE(r.diagnostics[0].message.find("which pipeline 'shop' writes"), std::string::npos) << r.diagnostics[0].message;
  EXPECT_EQ(r.diagnostics[0].file, "repo/a.yaml");
  EXPECT_NE(read_file(dir_ / "out/shop/configmap-a.yaml").find("shop's"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "out/billing")) << "nothing of the refused sync is written";
}

TEST_F(SinkDirTest, AnInventoryWithoutPipelinesIsClaimedByTheFirstPipelineToSync) {
  write_file(dir_ / "out/shop/configmap-old.yaml", "kind: ConfigMap\n");
  write_file(dir_ / "out/.driftless-inventory", "shop/configmap-old.yaml\n");
  auto r = sync({object("ConfigMap", "shop", "a")});
  EXPECT_EQ(count(r, ChangeAction::pruned), 1);
  EXPECT_FALSE(fs::exists(dir_ / "out/shop/configmap-old.yaml"));
  EXPECT_EQ(read_file(dir_ / "out/.driftless-inventory"), "shop/configmap-a.yaml\ttest\n");
}

TEST_F(SinkDirTest, AnObjectNamedByTheServerIsWrittenUnderItsPrefix) {
  KubeObject hook = object("Job", "shop", "", "v", "batch/v1");
  hook.body.find("metadata")->as_object().set("generateName", "migrate-");
  auto r = sync({hook, object("ConfigMap", "shop", "a")});
  ASSERT_FALSE(has_errors(r.diagnostics)) << r.diagnostics[0].message;
  EXPECT_NE(read_file(dir_ / "out/shop/job.batch_migrate-~.yaml").find("generateName: migrate-"), std::string::npos);
  r = sync({hook, object("ConfigMap", "shop", "a")});
  EXPECT_EQ(count(r, ChangeAction::unchanged), 2);
}
