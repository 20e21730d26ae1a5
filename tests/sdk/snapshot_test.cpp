#include <gtest/gtest.h>
#include <sys/stat.h>

#include "driftless/toolkit/snapshot.hpp"
#include "support.hpp"

using namespace driftless;
using driftless::test::read_file;
using driftless::test::TempDir;
namespace fs = std::filesystem;

TEST(Snapshot, WritesAReadOnlyTreeAndMovesItIntoPlace) {
  TempDir dir;
  fs::path root;
  {
    SnapshotWriter writer(dir.path(), "rev1");
    ASSERT_TRUE(writer.write_file("a/b/c.yaml", "c: 1\n").ok());
    ASSERT_TRUE(writer.write_file("run.sh", "#!/bin/sh\n", true).ok());
    ASSERT_TRUE(writer.make_directory("empty").ok());
    std::vector<std::string> removed;
    auto committed = writer.commit(removed);
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    root = *committed;
    EXPECT_TRUE(removed.empty());
  }
  EXPECT_EQ(root, dir / "rev1");
  EXPECT_EQ(read_file(root / "a/b/c.yaml"), "c: 1\n");
  struct stat s {};
  ::stat((root / "a/b/c.yaml").c_str(), &s);
  EXPECT_EQ(s.st_mode & 0777, 0444u);
  ::stat((root / "run.sh").c_str(), &s);
  EXPECT_EQ(s.st_mode & 0777, 0555u);
  ::stat((root / "a").c_str(), &s);
  EXPECT_EQ(s.st_mode & 0777, 0555u);
  EXPECT_EQ(find_snapshot(dir.path(), "rev1"), root);
  EXPECT_FALSE(find_snapshot(dir.path(), "rev2"));
}

TEST(Snapshot, RefusesPathsThatLeaveTheSnapshot) {
  TempDir dir;
  SnapshotWriter writer(dir.path(), "rev");
  for (const char* bad : {"../x", "/etc/passwd", "a/../../x", "a//b", "./a", ""})
    EXPECT_FALSE(writer.write_file(bad, "x").ok()) << bad;
  ASSERT_TRUE(writer.make_symlink("link", "/tmp").ok());
  auto through = writer.write_file("link/evil", "x");
  ASSERT_FALSE(through.ok());
  EXPECT_NE(through.error().message.find("through the symlink"), std::string::npos);
  EXPECT_FALSE(fs::exists("/tmp/evil"));
  ASSERT_TRUE(writer.write_file("file", "x").ok());
  EXPECT_FALSE(writer.write_file("file/child", "x").ok());
  EXPECT_FALSE(writer.write_file("file", "again").ok());
}

TEST(Snapshot, CommitRemovesLinksThatResolveOutsideOrToNothing) {
  TempDir dir;
  SnapshotWriter writer(dir.path(), "rev");
  ASSERT_TRUE(writer.write_file("data/values.yaml", "x: 1\n").ok());
  ASSERT_TRUE(writer.make_symlink("inside", "data/values.yaml").ok());
  ASSERT_TRUE(writer.make_symlink("up", "..").ok());
  ASSERT_TRUE(writer.make_symlink("absolute", "/etc/passwd").ok());
  ASSERT_TRUE(writer.make_symlink("dangling", "nothing-here").ok());
  // Harmless-looking text, escaping through another link: dot -> ".", then "dot/.." is the parent.
  ASSERT_TRUE(writer.make_symlink("dot", ".").ok());
  ASSERT_TRUE(writer.make_symlink("data/sneaky", "../dot/..").ok());
  std::vector<std::string> removed;
  auto root = writer.commit(removed);
  ASSERT_TRUE(root.ok());
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"absolute", "dangling", "data/sneaky", "up"}));
  EXPECT_EQ(read_file(*root / "inside"), "x: 1\n");
}

TEST(Snapshot, PruneKeepsTheNewestAndThoseInUse) {
  TempDir dir;
  std::vector<fs::path> roots;
  for (int i = 0; i < 4; ++i) {
    SnapshotWriter writer(dir.path(), "rev" + std::to_string(i));
    ASSERT_TRUE(writer.write_file("f", std::to_string(i)).ok());
    std::vector<std::string> removed;
    roots.push_back(*writer.commit(removed));
    fs::last_write_time(roots.back(), fs::file_time_type::clock::now() + std::chrono::seconds(i));
  }
  prune_snapshots(dir.path(), 2, {roots[0]});
  EXPECT_TRUE(fs::exists(roots[0]));
  EXPECT_FALSE(fs::exists(roots[1]));
  EXPECT_TRUE(fs::exists(roots[2]));
  EXPECT_TRUE(fs::exists(roots[3]));
}
