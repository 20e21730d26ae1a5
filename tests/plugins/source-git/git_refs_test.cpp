// Refs (branch, tag, semver, commit), the incremental mirror, no-op polls,
// force-pushes and a damaged mirror, against the tests/env git daemon.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string config(const std::string& url, const std::string& ref) {
  return R"({"url": ")" + url + R"(", "ref": )" + ref + "}";
}

ino_t inode(const fs::path& p) {
  struct stat s {};
  ::stat(p.c_str(), &s);
  return s.st_ino;
}

fs::path mirror_of(const fs::path& state) {
  for (const auto& entry : fs::recursive_directory_iterator(state))
    if (entry.path().filename() == "mirror.git") return entry.path();
  return {};
}

}  // namespace

TEST(GitRefs, AnnotatedAndLightweightTags) {
  auto env = require_env();
  TestRepo repo("tags");
  const std::string first = repo.commit({{"a.yaml", "v: 1\n"}}, "one");
  repo.git({"tag", "-a", "v1.0.0", "-m", "release 1.0.0"});
  repo.commit({{"a.yaml", "v: 2\n"}}, "two");
  repo.git({"tag", "light"});
  repo.git({"push", "-q", "origin", "--tags"});
  TempDir state;
  SourceUnderTest annotated("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"tag": "v1.0.0"})"), state / "a");
  auto a = annotated.fetch();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->revision, "v1.0.0@sha1:" + first);  // the commit, not the tag object
  EXPECT_EQ(read_file(a->root / "a.yaml"), "v: 1\n");
  SourceUnderTest missing("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"tag": "v9"})"), state / "b");
  auto m = missing.fetch();
  expect_error(m, ErrorCode::not_found, "tags: light, v1.0.0");
}

// Argo CD's targetRevision HEAD: the branch the server's HEAD is on, named in the revision.
TEST(GitRefs, BranchHeadFollowsTheServersDefaultBranch) {
  auto env = require_env();
  TestRepo repo("default-branch");
  repo.commit({{"a.yaml", "v: 1\n"}}, "one");
  repo.commit({{"b.yaml", "other: 1\n"}}, "on another branch", "feature");
  TempDir state;
  SourceUnderTest head("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"branch": "HEAD"})"), state / "head");
  auto first = head.fetch();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->revision.rfind("main@sha1:", 0), 0u) << first->revision;
  EXPECT_FALSE(fs::exists(first->root / "b.yaml"));
  // The server's HEAD moved to another branch: followed at the next poll.
  repo.git({"--git-dir", repo.bare().string(), "symbolic-ref", "HEAD", "refs/heads/feature"});
  auto moved = head.fetch(&*first);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->revision.rfind("feature@sha1:", 0), 0u) << moved->revision;
  EXPECT_EQ(read_file(moved->root / "b.yaml"), "other: 1\n");
  // A HEAD that names no branch of the repository.
  repo.git({"--git-dir", repo.bare().string(), "symbolic-ref", "HEAD", "refs/heads/gone"});
  expect_error(head.fetch(&*moved), ErrorCode::not_found, "advertises no HEAD on a branch (branches: feature, main)");
}

TEST(GitRefs, SemverPicksTheHighestTagInTheRange) {
  auto env = require_env();
  TestRepo repo("semver");
  std::map<std::string, std::string> commits;
  for (const char* tag : {"v1.0.0", "v1.2.0", "v1.10.1", "v1.11.0-rc.1", "v2.0.0", "not-a-version"}) {
    commits[tag] = repo.commit({{"version.txt", tag}}, std::string("release ") + tag);
    repo.git({"tag", "-a", tag, "-m", tag});
  }
  repo.git({"push", "-q", "origin", "--tags"});
  TempDir state;
  SourceUnderTest caret("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"semver": "^1.0"})"), state / "a");
  auto a = caret.fetch();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->revision, "v1.10.1@sha1:" + commits["v1.10.1"]);
  EXPECT_EQ(read_file(a->root / "version.txt"), "v1.10.1");
  SourceUnderTest bounded("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"semver": ">=1.0.0 <1.5.0"})"), state / "b");
  auto b = bounded.fetch();
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->revision, "v1.2.0@sha1:" + commits["v1.2.0"]);
  SourceUnderTest none("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"semver": ">=3"})"), state / "c");
  auto c = none.fetch();
  expect_error(c, ErrorCode::not_found, ">=3");
  // A new release inside the range is picked up by the next fetch.
  commits["v1.12.0"] = repo.commit({{"version.txt", "v1.12.0"}}, "release v1.12.0");
  repo.git({"tag", "v1.12.0"});
  repo.git({"push", "-q", "origin", "--tags"});
  auto newer = caret.fetch(&*a);
  ASSERT_TRUE(newer.ok()) << newer.error().message;
  EXPECT_EQ(newer->revision, "v1.12.0@sha1:" + commits["v1.12.0"]);
}

TEST(GitRefs, PinnedCommitAndUnknownBranch) {
  auto env = require_env();
  TestRepo repo("pinned");
  const std::string first = repo.commit({{"a.yaml", "v: 1\n"}}, "one");
  repo.commit({{"a.yaml", "v: 2\n"}}, "two");
  TempDir state;
  SourceUnderTest pinned("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"commit": ")" + first + R"("})"), state / "a");
  auto a = pinned.fetch();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->revision, "sha1:" + first);
  EXPECT_EQ(read_file(a->root / "a.yaml"), "v: 1\n");
  SourceUnderTest branch("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"branch": "nope"})"), state / "b");
  auto b = branch.fetch();
  expect_error(b, ErrorCode::not_found, "branches: main");
  SourceUnderTest absent("git", config(env["GIT_DAEMON_URL"] + repo.url_path(),
                                       R"({"commit": "0123456789012345678901234567890123456789"})"), state / "c");
  auto c = absent.fetch();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::not_found);
}

TEST(GitRefs, NoOpPollsReuseTheSnapshotAndChangedFoldersGetNewIds) {
  auto env = require_env();
  TestRepo repo("incremental");
  repo.commit({{"clusters/prod/a.yaml", "a: 1\n"}, {"clusters/dev/a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  const std::string url = env["GIT_DAEMON_URL"] + repo.url_path();
  SourceUnderTest source("git", config(url, R"({"branch": "main"})"), state.path());
  auto first = source.fetch();
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto snapshot_inode = inode(first->root);

  auto same = source.fetch(&*first);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->revision, first->revision);
  EXPECT_EQ(same->root, first->root);

  // A new process (no previous artifact) reuses the snapshot on disk.
  SourceUnderTest restarted("git", config(url, R"({"branch": "main"})"), state.path());
  auto again = restarted.fetch();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(inode(again->root), snapshot_inode);
  EXPECT_EQ(again->folder_ids, first->folder_ids);

  const std::string head = repo.commit({{"clusters/dev/a.yaml", "a: 2\n"}}, "two");
  auto changed = source.fetch(&*first);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(changed->revision, "main@sha1:" + head);
  EXPECT_EQ(read_file(changed->root / "clusters/dev/a.yaml"), "a: 2\n");
  EXPECT_EQ(changed->folder_id("clusters/prod"), first->folder_id("clusters/prod"));
  EXPECT_NE(changed->folder_id("clusters/dev"), first->folder_id("clusters/dev"));
  EXPECT_NE(changed->folder_id(""), first->folder_id(""));
  EXPECT_TRUE(fs::exists(first->root)) << "the previous snapshot stays usable";
}

TEST(GitRefs, OldSnapshotsArePrunedButNotTheOneInUse) {
  auto env = require_env();
  TestRepo repo("prune");
  repo.commit({{"a.yaml", "v: 0\n"}}, "zero");
  TempDir state;
  SourceUnderTest source("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"branch": "main"}, "keepSnapshots": 2)"),
                         state.path());
  auto previous = source.fetch();
  ASSERT_TRUE(previous.ok());
  const fs::path oldest = previous->root;
  for (int i = 1; i <= 3; ++i) {
    repo.commit({{"a.yaml", "v: " + std::to_string(i) + "\n"}}, "commit " + std::to_string(i));
    auto next = source.fetch(&*previous);
    ASSERT_TRUE(next.ok());
    previous = std::move(next);
  }
  EXPECT_FALSE(fs::exists(oldest));
  EXPECT_TRUE(fs::exists(previous->root));
  int snapshots = 0;
  for (const auto& e : fs::directory_iterator(previous->root.parent_path())) snapshots += e.is_directory() ? 1 : 0;
  EXPECT_EQ(snapshots, 2);
}

TEST(GitRefs, ForcePushedHistoryIsFollowed) {
  auto env = require_env();
  TestRepo repo("force");
  repo.commit({{"a.yaml", "v: 1\n"}}, "one");
  repo.commit({{"a.yaml", "v: 2\n"}}, "two");
  TempDir state;
  SourceUnderTest source("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"branch": "main"})"), state.path());
  auto before = source.fetch();
  ASSERT_TRUE(before.ok());
  // Rewrite history: a new root commit, force-pushed over main.
  repo.git({"checkout", "-q", "--orphan", "rewritten"});
  const std::string rewritten = repo.commit({{"a.yaml", "v: rewritten\n"}}, "rewritten history");
  auto after = source.fetch(&*before);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->revision, "main@sha1:" + rewritten);
  EXPECT_EQ(read_file(after->root / "a.yaml"), "v: rewritten\n");
}

TEST(GitRefs, ADamagedMirrorIsDeletedAndClonedAgain) {
  auto env = require_env();
  TestRepo repo("corrupt");
  repo.commit({{"a.yaml", "v: 1\n"}, {"b/c.yaml", "c: 1\n"}}, "one");
  TempDir state;
  SourceUnderTest source("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"branch": "main"})"), state.path());
  auto before = source.fetch();
  ASSERT_TRUE(before.ok());
  const fs::path mirror = mirror_of(state.path());
  ASSERT_FALSE(mirror.empty());
  // Garbage over every object and pack file.
  int damaged = 0;
  for (const auto& entry : fs::recursive_directory_iterator(mirror / "objects")) {
    if (!entry.is_regular_file()) continue;
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
    write_file(entry.path(), "this is not a git object");
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  const std::string head = repo.commit({{"a.yaml", "v: 2\n"}}, "two");
  auto after = source.fetch(&*before);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->revision, "main@sha1:" + head);
  EXPECT_EQ(read_file(after->root / "b/c.yaml"), "c: 1\n");

  // A mirror that cannot even be opened is re-created too.
  write_file(mirror / "HEAD", "garbage");
  fs::remove_all(mirror / "refs");
  SourceUnderTest restarted("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"branch": "main"})"), state.path());
  auto reopened = restarted.fetch();
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(reopened->revision, "main@sha1:" + head);
}

TEST(GitRefs, SymlinksOutOfTheRepositoryAreLeftOut) {
  auto env = require_env();
  TestRepo repo("symlinks");
  repo.commit({{"base/values.yaml", "x: 1\n"}}, "files");
  fs::create_symlink("../base/values.yaml", repo.work() / "linked.yaml");
  fs::create_symlink("base/values.yaml", repo.work() / "inside.yaml");
  fs::create_symlink("/etc/passwd", repo.work() / "passwd.yaml");
  fs::create_symlink("../../../../..", repo.work() / "up");
  repo.commit({}, "links");
  TempDir state;
  SourceUnderTest source("git", config(env["GIT_DAEMON_URL"] + repo.url_path(), R"({"branch": "main"})"), state.path());
  auto artifact = source.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(read_file(artifact->root / "inside.yaml"), "x: 1\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(artifact->root / "passwd.yaml")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(artifact->root / "up")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(artifact->root / "linked.yaml")));
}

TEST(GitRefs, PacksFromManyIncrementalFetchesAreMergedIntoOne) {
  auto env = require_env();
  TestRepo repo("repack");
  repo.commit({{"a.yaml", "v: 0\n"}}, "zero");
  repo.git({"tag", "-a", "v0.1.0", "-m", "annotated"});
  repo.git({"push", "-q", "origin", "--tags"});
  TempDir state;
  const std::string url = env["GIT_DAEMON_URL"] + repo.url_path();
  SourceUnderTest tagged("git", config(url, R"({"tag": "v0.1.0"})"), state.path());
  ASSERT_TRUE(tagged.fetch().ok());
  SourceUnderTest source("git", config(url, R"({"branch": "main"})"), state.path());
  auto previous = source.fetch();
  ASSERT_TRUE(previous.ok());
  std::string head;
  for (int i = 1; i <= 52; ++i) {  // one pack per fetch; the threshold is 50
    head = repo.commit({{"a.yaml", "v: " + std::to_string(i) + "\n"}}, "commit " + std::to_string(i));
    auto next = source.fetch(&*previous);
    ASSERT_TRUE(next.ok()) << next.error().message;
    previous = std::move(next);
  }
  EXPECT_EQ(previous->revision, "main@sha1:" + head);
  int packs = 0;
  for (const auto& e : fs::directory_iterator(mirror_of(state.path()) / "objects/pack")) packs += e.path().extension() == ".pack";
  EXPECT_LT(packs, 10);
  // Everything is still there: the annotated tag, and a fresh snapshot of an old commit.
  auto tag = tagged.fetch();
  ASSERT_TRUE(tag.ok()) << tag.error().message;
  EXPECT_EQ(read_file(tag->root / "a.yaml"), "v: 0\n");
  SourceUnderTest restarted("git", config(url, R"({"branch": "main"})"), state.path());
  auto again = restarted.fetch();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(read_file(again->root / "a.yaml"), "v: 52\n");
}
