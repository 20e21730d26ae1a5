// Ignore patterns (include/exclude globs, .driftlessignore) against git's own
// matching: for each pattern, every path of a tree is ignored by PathPattern
// exactly when `git check-ignore` says the same pattern in a .gitignore
// ignores it. A path counts as ignored when the pattern matches it or one of
// its folders, as a walk that skips ignored folders sees it.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "path_patterns.hpp"
#include "support.hpp"

namespace driftless::renderers {
namespace {

const std::vector<std::string> kPaths = {
    "top.yaml",       "sub/top.yaml",     "build.yaml",       "build/out.yaml", "a/build/x.yaml", "docs/a.yaml",
    "docs/x/y.yaml",  "gen/a.yaml",       "a/b/gen/g.yaml",   "gen/x/a.yaml",   "a/z.yaml",       "a/b/z.yaml",
    "a/b/c/z.yaml",   "a/b/c.yaml",       "secrets.yaml",     "b.yaml",         "ab.yaml",        "logs/today.txt",
    "x/logs/now.txt", "deep/er/f.yaml",   "deep/f.yaml",      "one.draft.yaml", "#hash.yaml",     "k/v.tmp",
    "readme.md",      "sub/deep/er/g.md", "a/b/c/d/e/f.yaml",
};

// Patterns whose meaning git defines; "./x" and ".." are driftless's own (documented in renderers.md).
const std::vector<std::string> kPatterns = {
    "*.yaml",  "/top.yaml", "top.yaml",      "build/",    "docs/**",     "**/gen/*.yaml", "a/**/z.yaml", "a/*/c.yaml",
    "sec?ets.yaml", "[abc].yaml", "**/logs", "deep/er/",  "*.draft.*",   "\\#hash.yaml",  "**/*.tmp",    "a/**",
    "**/c",    "er/",       "/sub/",         "b*",        "a/b/c/**/f.yaml",
};

bool ignored(const PathPattern& pattern, const std::string& path) {
  std::string folder;
  std::stringstream segments(path);
  std::string segment;
  std::vector<std::string> parts;
  while (std::getline(segments, segment, '/')) parts.push_back(segment);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    folder += (i ? "/" : "") + parts[i];
    if (pattern.matches(folder, true)) return true;
  }
  return pattern.matches(path, false);
}

std::set<std::string> git_ignored(const std::filesystem::path& repo, const std::string& pattern) {
  test::write_file(repo / ".gitignore", pattern + "\n");
  std::vector<std::string> argv{"git", "-C", repo.string(), "check-ignore", "--no-index"};
  argv.insert(argv.end(), kPaths.begin(), kPaths.end());
  // Only this .gitignore: no global or system excludes of the machine.
  auto r = test::run(argv, {{"HOME", repo.string()}, {"XDG_CONFIG_HOME", repo.string()}, {"GIT_CONFIG_NOSYSTEM", "1"}});
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << pattern << ": " << r.err;  // 1: none ignored
  std::set<std::string> out;
  std::stringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) out.insert(line);
  return out;
}

TEST(PathPatterns, IgnoreTheSamePathsAsGit) {
  test::TempDir repo;
  ASSERT_EQ(test::run({"git", "init", "-q", repo.path().string()}).exit_code, 0);
  for (const auto& path : kPaths) test::write_file(repo / path, "x");
  for (const auto& text : kPatterns) {
    auto pattern = PathPattern::parse(text);
    ASSERT_TRUE(pattern) << text;
    const auto expected = git_ignored(repo.path(), text);
    for (const auto& path : kPaths)
      EXPECT_EQ(ignored(*pattern, path), expected.count(path) > 0) << "pattern " << text << ", path " << path;
  }
}

}  // namespace
}  // namespace driftless::renderers
