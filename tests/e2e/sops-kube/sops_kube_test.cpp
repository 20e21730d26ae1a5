// End to end: a Secret encrypted with the real sops for a fresh age key,
// pushed to the tests/env Git HTTP server, read by `driftless apply` with
// renderers [yaml, sops] and applied to the real kube-apiserver. The cluster
// gets the plaintext; no output of driftless (apply, diff) shows it; a
// tampered push is refused and leaves the cluster as it was.
#include <gtest/gtest.h>

#include <random>

#include "driftless/toolkit/hash.hpp"
#include "driftless/value.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string secret_manifest(const std::string& ns, const std::string& password) {
  return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: " + ns +
         "\ntype: Opaque\nstringData:\n  username: admin\n  password: \"" + password + "\"\ndata:\n  token: " +
         base64_encode("t0ken-" + password) + "\n";
}

}  // namespace

TEST(SopsKube, AnEncryptedSecretFromGitIsAppliedDecryptedAndNeverShown) {
  auto env = require_env();
  ASSERT_FALSE(env["KUBECONFIG"].empty() || env["SOPS"].empty() || env["AGE_KEYGEN"].empty()) << "tests/env env file";
  TempDir work;
  const std::string ns = "sops-e2e-" + std::to_string(std::random_device{}());
  const fs::path key = work / "age.keys";
  ASSERT_EQ(run({env["AGE_KEYGEN"], "-o", key.string()}).exit_code, 0);
  std::string recipient = run({env["AGE_KEYGEN"], "-y", key.string()}).out;
  recipient.pop_back();
  auto encrypted = [&](const std::string& password) {
    write_file(work / "plain.yaml", secret_manifest(ns, password));
    auto r = run({env["SOPS"], "--encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$",
                  (work / "plain.yaml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    fs::remove(work / "plain.yaml");
    return r.out;
  };

  TestRepo repo("sops-e2e");
  repo.commit({{"clusters/prod/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n"},
               {"clusters/prod/db-secret.sops.yaml", encrypted("first-s3cret")}},
              "an encrypted secret");
  write_file(work / "password", env["GIT_HTTP_PASSWORD"]);
  write_file(work / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " +
                 env["GIT_HTTP_URL"] + repo.url_path() + ", ref: {branch: main}, auth: {username: " + env["GIT_HTTP_USER"] +
                 ", passwordFile: password}}\npipelines:\n- name: prod\n  source: fleet\n  path: clusters/prod\n"
                 "  renderers: [{type: yaml}, {type: sops, ageKeyFile: " + key.string() + "}]\n"
                 "  sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + "}\n");
  write_file(work / "lsan.supp", libgit2_leak_suppressions);
  const std::map<std::string, std::string> sanitizer_env{{"LSAN_OPTIONS", "suppressions=" + (work / "lsan.supp").string()}};
  auto driftless = [&](const std::string& command) {
    return run_driftless({"--config", (work / "driftless.yaml").string(), "--state-dir", (work / "state").string(),
                          "--plugin-dir", plugin_dir().string(), command, "--pipeline", "prod"},
                         sanitizer_env);
  };
  auto live = [&] {
    auto got = run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "get", "secret", "db", "-n", ns, "-o", "json"});
    auto secret = parse_json(got.out);
    Value data = secret.ok() && secret->find("data") ? *secret->find("data") : Value();
    auto field = [&](const char* name) { return base64_decode(data.string_or(name)).value_or("?"); };
    return field("username") + "/" + field("password") + "/" + field("token");
  };

  auto applied = driftless("apply");
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(live(), "admin/first-s3cret/t0ken-first-s3cret");
  EXPECT_EQ((applied.out + applied.err).find("s3cret"), std::string::npos) << "plaintext in driftless's output";

  // A new password: diff shows a change to the Secret, masked.
  repo.commit({{"clusters/prod/db-secret.sops.yaml", encrypted("second-s3cret")}}, "rotate");
  auto diff = driftless("diff");
  EXPECT_EQ(diff.exit_code, 1) << diff.out << diff.err;
  EXPECT_NE(diff.out.find("Secret"), std::string::npos) << diff.out;
  EXPECT_EQ((diff.out + diff.err).find("s3cret"), std::string::npos) << diff.out << diff.err;

  // A tampered push is refused: nothing applied, the cluster keeps the first password.
  std::string tampered = encrypted("second-s3cret");
  const auto at = tampered.find("password: ENC[AES256_GCM,data:") + 31;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  repo.commit({{"clusters/prod/db-secret.sops.yaml", tampered}}, "tampered");
  auto refused = driftless("apply");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("clusters/prod/db-secret.sops.yaml:1: error: renderer 'sops' (stage 2 of 2): "
                                             "cannot decrypt this SOPS-encrypted document: at stringData:password: the value "
                                             "does not authenticate"),
            std::string::npos)
      << refused.out << refused.err;
  EXPECT_EQ(live(), "admin/first-s3cret/t0ken-first-s3cret");

  run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "delete", "namespace", ns, "--wait=false"});
}
