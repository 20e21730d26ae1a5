#include <gtest/gtest.h>
#include <sys/stat.h>

#include "driftless/plugin.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {
std::unique_ptr<Source> make(const std::string& path) {
  Object config;
  config.set("path", path);
  auto created = plugins().source("path")->create(Value(std::move(config)));
  EXPECT_TRUE(created.ok());
  return std::move(*created);
}
}  // namespace

TEST(SourcePath, RevisionFollowsContentAndFolderIdsAreGiven) {
  TempDir dir;
  write_file(dir / "a/x.yaml", "1");
  write_file(dir / "b/y.yaml", "1");
  TestContext context;
  auto source = make(dir.path().string());
  auto first = source->fetch(context, nullptr);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->revision, "sha256:" + first->folder_id(""));
  EXPECT_FALSE(first->folder_id("a").empty());

  auto same = source->fetch(context, &*first);
  EXPECT_EQ(same->revision, first->revision);

  write_file(dir / "b/y.yaml", "2");
  auto changed = source->fetch(context, &*first);
  EXPECT_NE(changed->revision, first->revision);
  EXPECT_EQ(changed->folder_id("a"), first->folder_id("a"));
  EXPECT_NE(changed->folder_id("b"), first->folder_id("b"));
}

TEST(SourcePath, MissingDirectoryIsNotFound) {
  TestContext context;
  auto result = make("/nonexistent/fleet")->fetch(context, nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::not_found);
  EXPECT_NE(result.error().message.find("/nonexistent/fleet"), std::string::npos);
}

TEST(SourcePath, AFifoInTheTreeIsNeverOpened) {
  // Opening it to hash its content would wait for a writer forever.
  TempDir dir;
  write_file(dir / "a/x.yaml", "1");
  ASSERT_EQ(mkfifo((dir / "a/pipe").c_str(), 0600), 0);
  TestContext context;
  auto source = make(dir.path().string());
  auto first = source->fetch(context, nullptr);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const std::string with_fifo = first->folder_id("a");
  std::filesystem::remove(dir / "a/pipe");
  EXPECT_NE(source->fetch(context, &*first)->folder_id("a"), with_fifo) << "the entry still counts in the folder's id";
}
