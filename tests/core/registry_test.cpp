// The loader against real libraries: the project's plugins and deliberately
// broken ones. One bad file never stops the others.
#include <gtest/gtest.h>

#include "driftless/abi.hpp"
#include "plugins/registry.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::core;
using driftless::test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path bad(const std::string& name) { return fs::path(BAD_PLUGIN_DIR) / (name + ".so"); }

std::string problem_for(const PluginRegistry& r, const fs::path& file) {
  for (const auto& p : r.problems())
    if (p.file.filename() == file.filename()) return p.message;
  return "";
}

// A plugin dir holding the real plugins plus `extra` files.
void populate(const fs::path& dir, const std::vector<fs::path>& extra) {
  for (const auto& entry : fs::directory_iterator(driftless::test::plugin_dir()))
    fs::copy_file(entry.path(), dir / entry.path().filename());
  for (const auto& file : extra) fs::copy_file(file, dir / file.filename());
}

}  // namespace

TEST(Registry, LoadsTheProjectPlugins) {
  PluginRegistry r;
  r.load_directory(driftless::test::plugin_dir());
  EXPECT_TRUE(r.problems().empty()) << r.problems().front().message;
  ASSERT_NE(r.source("path"), nullptr);
  ASSERT_NE(r.renderer("yaml"), nullptr);
  ASSERT_NE(r.sink("dir"), nullptr);
  EXPECT_EQ(r.find(PluginKind::sink, "dir")->version, "0.1.0");
}

TEST(Registry, EachBadPluginIsRefusedWithOneClearSentenceAndTheOthersStillLoad) {
  TempDir dir;
  populate(dir.path(), {bad("no_handshake"), bad("wrong_abi"), bad("wrong_fingerprint"), bad("unresolved"), bad("wrong_kind")});
  driftless::test::write_file(dir / "garbage.so", "this is not an ELF file\n");
  fs::copy_file(driftless::test::plugin_dir() / "libdriftless-renderer-yaml.so", dir / "zz-copy-of-yaml.so");

  PluginRegistry r;
  r.load_directory(dir.path());

  EXPECT_NE(r.source("path"), nullptr);
  EXPECT_NE(r.renderer("yaml"), nullptr);
  EXPECT_NE(r.sink("dir"), nullptr);
  EXPECT_EQ(r.problems().size(), 7u);

  EXPECT_NE(problem_for(r, dir / "garbage.so").find("cannot load"), std::string::npos);
  EXPECT_NE(problem_for(r, bad("no_handshake")).find("not a driftless plugin"), std::string::npos);
  const std::string abi = problem_for(r, bad("wrong_abi"));
  EXPECT_NE(abi.find("ABI version 999"), std::string::npos) << abi;
  EXPECT_NE(abi.find("needs ABI version " + std::to_string(DRIFTLESS_ABI_VERSION)), std::string::npos) << abi;
  const std::string fingerprint = problem_for(r, bad("wrong_fingerprint"));
  EXPECT_NE(fingerprint.find("libc++-17000"), std::string::npos) << fingerprint;
  EXPECT_NE(fingerprint.find(DRIFTLESS_BUILD_FINGERPRINT), std::string::npos) << fingerprint;
  EXPECT_NE(problem_for(r, bad("unresolved")).find("undefined symbol"), std::string::npos)
      << problem_for(r, bad("unresolved"));
  EXPECT_NE(problem_for(r, bad("wrong_kind")).find("does not implement"), std::string::npos);
  const std::string duplicate = problem_for(r, dir / "zz-copy-of-yaml.so");
  EXPECT_NE(duplicate.find("duplicate renderer plugin 'yaml'"), std::string::npos) << duplicate;
  EXPECT_NE(duplicate.find("libdriftless-renderer-yaml.so"), std::string::npos) << duplicate;
}

TEST(Registry, MissingDirectoryIsAProblemNotACrash) {
  PluginRegistry r;
  r.load_directory("/nonexistent/plugins");
  ASSERT_EQ(r.problems().size(), 1u);
  EXPECT_NE(r.problems()[0].message.find("--plugin-dir"), std::string::npos);
}

TEST(Registry, PluginDirsAreTheBundledOneThenTheFlagsElseTheConfigElseTheVariable) {
  // Test binaries sit in bin/ of the build tree, like driftless: the plugins beside them are the bundled ones.
  const fs::path bundled = bundled_plugin_dir();
  EXPECT_TRUE(fs::equivalent(bundled, driftless::test::plugin_dir())) << bundled;
  ::setenv("DRIFTLESS_PLUGIN_DIR", "/from/env:/second/env", 1);
  EXPECT_EQ(resolve_plugin_dirs({"/flag/a", "/flag/b"}, {"/from/config"}),
            (std::vector<fs::path>{bundled, "/flag/a", "/flag/b"}));
  EXPECT_EQ(resolve_plugin_dirs({}, {"/from/config"}), (std::vector<fs::path>{bundled, "/from/config"}));
  EXPECT_EQ(resolve_plugin_dirs({}, {}), (std::vector<fs::path>{bundled, "/from/env", "/second/env"}));
  ::unsetenv("DRIFTLESS_PLUGIN_DIR");
  EXPECT_EQ(resolve_plugin_dirs({}, {}), std::vector<fs::path>{bundled});
}

TEST(Registry, SeveralFoldersLoadTogetherAndAFolderNamedTwiceIsReadOnce) {
  TempDir own;
  fs::copy_file(bad("wrong_kind"), own / "wrong_kind.so");
  PluginRegistry r;
  const fs::path bundled = driftless::test::plugin_dir();
  r.load_directories({bundled, own.path(), bundled / ".", own / ".." / own.path().filename()});
  EXPECT_NE(r.renderer("yaml"), nullptr);
  ASSERT_EQ(r.problems().size(), 1u) << r.problems().back().message;
  EXPECT_NE(r.problems()[0].message.find("does not implement"), std::string::npos);
}

TEST(Registry, APluginNameInTwoFoldersIsAClearError) {
  TempDir own;
  fs::copy_file(driftless::test::plugin_dir() / "libdriftless-renderer-yaml.so", own / "libmy-yaml.so");
  PluginRegistry r;
  r.load_directories({driftless::test::plugin_dir(), own.path()});
  ASSERT_EQ(r.problems().size(), 1u);
  EXPECT_EQ(r.problems()[0].file, own / "libmy-yaml.so");
  const std::string& m = r.problems()[0].message;
  EXPECT_NE(m.find("duplicate renderer plugin 'yaml': already loaded from " +
                   (driftless::test::plugin_dir() / "libdriftless-renderer-yaml.so").string() + ", in another plugin folder"),
            std::string::npos) << m;
  EXPECT_NE(m.find("rename one of the two plugins"), std::string::npos) << m;
  EXPECT_EQ(r.find(PluginKind::renderer, "yaml")->file.parent_path(), driftless::test::plugin_dir());
}

TEST(Registry, ByKindListsSourcesThenRenderersThenSinksByName) {
  PluginRegistry r;
  r.load_directory(driftless::test::plugin_dir());
  std::vector<std::pair<PluginKind, std::string>> order;
  for (const auto* p : r.by_kind()) order.emplace_back(p->kind, p->name);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << order.front().second;
  EXPECT_EQ(order.front().first, PluginKind::source);
  EXPECT_EQ(order.back().first, PluginKind::sink);
}
