#include <gtest/gtest.h>

#include "driftless/toolkit/files.hpp"
#include "support.hpp"

using namespace driftless;
using driftless::test::TempDir;
using driftless::test::write_file;
namespace fs = std::filesystem;

TEST(Files, ListsMatchingFilesInByteOrderSkippingHidden) {
  TempDir dir;
  write_file(dir / "repo/b.yaml", "");
  write_file(dir / "repo/a/z.yml", "");
  write_file(dir / "repo/a/readme.md", "");
  write_file(dir / "repo/.git/config.yaml", "");
  std::vector<Diagnostic> d;
  auto files = list_files(dir / "repo", "", {".yaml", ".yml"}, d);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(files, (std::vector<std::string>{"a/z.yml", "b.yaml"}));
}

TEST(Files, SymlinksOutOfTheArtifactAreRefused) {
  TempDir dir;
  write_file(dir / "secret/passwd.yaml", "x: 1");
  write_file(dir / "repo/ok.yaml", "");
  fs::create_directory_symlink(dir / "secret", dir / "repo/linked-dir");
  fs::create_symlink(dir / "secret/passwd.yaml", dir / "repo/linked.yaml");
  fs::create_directory_symlink(dir / "repo", dir / "repo/loop");
  std::vector<Diagnostic> d;
  auto files = list_files(dir / "repo", "", {".yaml"}, d);
  EXPECT_EQ(files, (std::vector<std::string>{"ok.yaml"}));
  ASSERT_EQ(d.size(), 3u);
  for (const auto& diag : d) EXPECT_EQ(diag.severity, Severity::error);
}

TEST(Files, ResolveInsideRefusesEscapes) {
  TempDir dir;
  write_file(dir / "repo/values.yaml", "");
  fs::create_symlink(dir / "outside.yaml", dir / "repo/out.yaml");
  write_file(dir / "outside.yaml", "");
  EXPECT_TRUE(resolve_inside(dir / "repo", "values.yaml").ok());
  EXPECT_FALSE(resolve_inside(dir / "repo", "../outside.yaml").ok());
  EXPECT_FALSE(resolve_inside(dir / "repo", "/etc/passwd").ok());
  auto escaped = resolve_inside(dir / "repo", "out.yaml");
  ASSERT_FALSE(escaped.ok());
  EXPECT_NE(escaped.error().message.find("escapes"), std::string::npos);
}

TEST(Files, ReadIsCapped) {
  TempDir dir;
  write_file(dir / "big", std::string(2048, 'x'));
  EXPECT_FALSE(read_file_capped(dir / "big", 1024).ok());
  EXPECT_EQ(read_file_capped(dir / "big", 4096)->size(), 2048u);
}

TEST(Files, FolderIdsChangeOnlyWhereContentChanged) {
  TempDir dir;
  write_file(dir / "r/a/x.yaml", "1");
  write_file(dir / "r/b/y.yaml", "1");
  auto before = hash_folders(dir / "r");
  write_file(dir / "r/b/y.yaml", "2");
  auto after = hash_folders(dir / "r");
  EXPECT_EQ(before.at("a"), after.at("a"));
  EXPECT_NE(before.at("b"), after.at("b"));
  EXPECT_NE(before.at(""), after.at(""));
}
