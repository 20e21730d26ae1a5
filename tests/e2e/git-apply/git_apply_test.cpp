// End to end: a deploy key from `driftless keygen`, authorized on the tests/env
// sshd; a config with a git source over SSH, the yaml renderer and the dir
// sink; `driftless apply`; a pushed change; `driftless apply` again.
#include <gtest/gtest.h>

#include <fstream>

#include "source_fixture.hpp"

using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

// Adds a public key to the env's sshd (forced git-shell, like the deploy key) and removes it again.
class AuthorizedKey {
 public:
  AuthorizedKey(fs::path authorized_keys, const std::string& public_line) : file_(std::move(authorized_keys)) {
    original_ = read_file(file_);
    std::ofstream(file_, std::ios::app) << "restrict,command=\"git-shell -c \\\"$SSH_ORIGINAL_COMMAND\\\"\" " << public_line;
  }
  ~AuthorizedKey() { write_file(file_, original_); }

 private:
  fs::path file_;
  std::string original_;
};

std::string everything_below(const fs::path& dir) {
  std::string out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) out += read_file(entry.path());
  return out;
}

}  // namespace

TEST(GitApply, PushedChangesReachTheSinkOverSshWithAKeygenDeployKey) {
  auto env = require_env();
  TestRepo repo("e2e");
  repo.commit({{"clusters/prod/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\ndata:\n  color: blue\n"}},
              "first");
  TempDir work;
  auto keygen = driftless::test::run_driftless({"keygen", "--out", (work / "deploy-key").string()});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  AuthorizedKey authorized{fs::path(env["GIT_SSH_KEY"]).parent_path() / "authorized_keys", keygen.out};

  write_file(work / "driftless.yaml", R"(apiVersion: driftless.dev/v1alpha1
kind: Config
sources:
  - name: fleet
    type: git
    url: )" + env["GIT_SSH_URL"] + repo.url_path() + R"(
    ref: {branch: main}
    auth: {sshKeyFile: deploy-key, knownHostsFile: )" + env["GIT_SSH_KNOWN_HOSTS"] + R"(}
pipelines:
  - name: prod
    source: fleet
    path: clusters/prod
    renderers: [{type: yaml}]
    sink: {type: dir, path: out}
)");
  write_file(work / "lsan.supp", libgit2_leak_suppressions);
  const std::map<std::string, std::string> sanitizer_env{{"LSAN_OPTIONS", "suppressions=" + (work / "lsan.supp").string()}};
  const std::vector<std::string> apply{"--config", (work / "driftless.yaml").string(), "--state-dir", (work / "state").string(),
                                       "--plugin-dir", plugin_dir().string(), "apply"};
  auto first = driftless::test::run_driftless(apply, sanitizer_env);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const std::string before = everything_below(work / "out");
  EXPECT_NE(before.find("color: blue"), std::string::npos) << before;

  repo.commit({{"clusters/prod/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\ndata:\n  color: green\n"},
               {"clusters/prod/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: prod\n"}},
              "second");
  auto second = driftless::test::run_driftless(apply, sanitizer_env);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  const std::string after = everything_below(work / "out");
  EXPECT_NE(after.find("color: green"), std::string::npos) << after;
  EXPECT_EQ(after.find("color: blue"), std::string::npos) << after;
  EXPECT_NE(after.find("name: extra"), std::string::npos) << after;
}
