// End to end: a deploy key from `driftless keygen`, authorized on the tests/env
// sshd; a config with a git source over SSH, the yaml renderer and the dir
// sink; `driftless apply`; a pushed change; `driftless apply` again. And a
// repository over SSH that a Flux GitRepository declares, fetched with the key
// the config lends it.
#include <gtest/gtest.h>

#include "source_fixture.hpp"

using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

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

// A Flux GitRepository over ssh of a team's repository (its secretRef is
// never read): without a key lent by the config the declaration is an error
// naming declaredSourceAuth; with the deploy key lent for the URLs of the
// env's sshd, the team's folder is fetched and written.
TEST(GitApply, ARepositoryDeclaredOverSshIsFetchedWithTheKeyTheConfigLends) {
  auto env = require_env();
  TestRepo team("e2e-team-ssh");
  team.commit({{"deploy/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team\n  namespace: team\ndata:\n  owner: team-a\n"}},
              "the team's app");
  TestRepo fleet("e2e-fleet-ssh");
  fleet.commit({{"clusters/prod/team.yaml",
                 "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: team, namespace: flux-system}\n"
                 "spec:\n  interval: 1m\n  url: " + env["GIT_SSH_URL"] + team.url_path() +
                     "\n  ref: {branch: main}\n  secretRef: {name: team-deploy-key}\n---\n"
                     "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: team, namespace: flux-system}\n"
                     "spec: {interval: 5m, path: ./deploy, prune: true, sourceRef: {kind: GitRepository, name: team}}\n"}},
               "a team's repository over ssh");
  TempDir work;
  auto keygen = run_driftless({"keygen", "--out", (work / "deploy-key").string()});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  AuthorizedKey authorized{fs::path(env["GIT_SSH_KEY"]).parent_path() / "authorized_keys", keygen.out};
  write_file(work / "lsan.supp", libgit2_leak_suppressions);
  auto apply = [&](const std::string& lent) {
    write_file(work / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " +
                   env["GIT_DAEMON_URL"] + fleet.url_path() + ", ref: {branch: main}}\npipelines:\n"
                   "- {name: prod, source: fleet, path: clusters/prod, allowDeclaredSources: true, " + lent +
                   "renderers: [yaml, {type: flux, childRenderers: []}], sink: {type: dir, path: out}}\n");
    return run_driftless({"--config", (work / "driftless.yaml").string(), "--state-dir", (work / "state").string(),
                          "--plugin-dir", plugin_dir().string(), "apply"},
                         {{"LSAN_OPTIONS", "suppressions=" + (work / "lsan.supp").string()}});
  };
  auto refused = apply("");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("over ssh, which needs a key: add a declaredSourceAuth entry (type: git)"),
            std::string::npos)
      << refused.out << refused.err;

  auto lent = apply("declaredSourceAuth: [{type: git, urlPrefix: '" + env["GIT_SSH_URL"] +
                    "', auth: {sshKeyFile: deploy-key, knownHostsFile: " + env["GIT_SSH_KNOWN_HOSTS"] + "}}], ");
  ASSERT_EQ(lent.exit_code, 0) << lent.out << lent.err;
  EXPECT_NE(lent.out.find("prod/team: ok at main@sha1:"), std::string::npos) << lent.out;
  const std::string written = everything_below(work / "out");
  EXPECT_NE(written.find("owner: team-a"), std::string::npos) << written;
}
