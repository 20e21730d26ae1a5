// verify mode "head": OpenPGP (gpg keys made here, checked with gpgv) and SSH
// signatures (ssh-keygen keys made here), signed and unsigned heads.
#include <gtest/gtest.h>

#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string config(const std::string& url, const std::string& verify) {
  return R"({"url": ")" + url + R"(", "ref": {"branch": "main"}, "verify": )" + verify + "}";
}

// A gpg key in the repo's GNUPGHOME; returns its fingerprint.
std::string make_gpg_key(TestRepo& repo, const std::string& uid) {
  auto env = repo.env();
  fs::create_directories(env["GNUPGHOME"]);
  fs::permissions(env["GNUPGHOME"], fs::perms::owner_all, fs::perm_options::replace);
  auto made = run({"gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"}, env);
  EXPECT_EQ(made.exit_code, 0) << made.err;
  auto listed = run({"gpg", "--batch", "--with-colons", "--list-keys", uid}, env);
  auto fpr = listed.out.find("\nfpr:");
  EXPECT_NE(fpr, std::string::npos) << listed.out;
  std::string line = listed.out.substr(fpr + 1, listed.out.find('\n', fpr + 1) - fpr - 1);
  return line.substr(line.rfind(':', line.size() - 2) + 1, 40);
}

}  // namespace

TEST(GitSignatures, OpenPgpSignedHeadIsAppliedUnsignedOrForeignIsNot) {
  auto env = require_env();
  TestRepo repo("gpg");
  const std::string allowed = make_gpg_key(repo, "Allowed Signer <allowed@example.com>");
  const std::string stranger = make_gpg_key(repo, "Stranger <stranger@example.com>");
  TempDir keys;
  auto exported = run({"gpg", "--batch", "--armor", "--export", allowed}, repo.env());
  ASSERT_EQ(exported.exit_code, 0);
  write_file(keys / "allowed.asc", exported.out);
  const std::string url = env["GIT_DAEMON_URL"] + repo.url_path();
  SourceUnderTest source("git", config(url, R"({"mode": "head", "openpgpKeyring": ")" + (keys / "allowed.asc").string() + R"("})"),
                         keys / "state");

  const std::string good = repo.commit({{"a.yaml", "v: 1\n"}}, "signed", "main", {"-S" + allowed});
  auto applied = source.fetch();
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->revision, "main@sha1:" + good);
  EXPECT_EQ(applied->metadata.at("signature"), "verified: openpgp key " + allowed);

  const std::string unsigned_head = repo.commit({{"a.yaml", "v: 2\n"}}, "not signed");
  auto refused = source.fetch(&*applied);
  expect_error(refused, ErrorCode::unauthorized, "commit " + unsigned_head + " was not applied: it is not signed");

  const std::string foreign = repo.commit({{"a.yaml", "v: 3\n"}}, "signed by a stranger", "main", {"-S" + stranger});
  auto refused_again = source.fetch(&*applied);
  ASSERT_FALSE(refused_again.ok());
  EXPECT_NE(refused_again.error().message.find("commit " + foreign), std::string::npos);
  EXPECT_NE(refused_again.error().message.find("not in the keyring"), std::string::npos) << refused_again.error().message;
  EXPECT_TRUE(fs::exists(applied->root / "a.yaml")) << "the last good snapshot stays";
}

TEST(GitSignatures, SshSignedHeadIsAppliedUnsignedIsNot) {
  auto env = require_env();
  TestRepo repo("sshsig");
  TempDir keys;
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "signer", "-f", (keys / "signer").string()}).exit_code, 0);
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "other", "-f", (keys / "other").string()}).exit_code, 0);
  write_file(keys / "allowed_signers", "carl@example.com namespaces=\"git\" " + read_file(keys / "signer.pub"));
  const std::string url = env["GIT_DAEMON_URL"] + repo.url_path();
  SourceUnderTest source("git", config(url, R"({"allowedSigners": ")" + (keys / "allowed_signers").string() + R"("})"),
                         keys / "state");
  repo.git({"config", "gpg.format", "ssh"});
  repo.git({"config", "user.signingkey", (keys / "signer").string()});
  const std::string good = repo.commit({{"a.yaml", "v: 1\n"}}, "signed", "main", {"-S"});
  auto applied = source.fetch();
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->revision, "main@sha1:" + good);
  EXPECT_NE(applied->metadata.at("signature").find("verified: ssh principal carl@example.com"), std::string::npos)
      << applied->metadata.at("signature");

  const std::string unsigned_head = repo.commit({{"a.yaml", "v: 2\n"}}, "not signed");
  auto refused = source.fetch(&*applied);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("commit " + unsigned_head + " was not applied: it is not signed"), std::string::npos)
      << refused.error().message;

  repo.git({"config", "user.signingkey", (keys / "other").string()});
  const std::string foreign = repo.commit({{"a.yaml", "v: 3\n"}}, "signed by another key", "main", {"-S"});
  auto refused_again = source.fetch(&*applied);
  ASSERT_FALSE(refused_again.ok());
  EXPECT_NE(refused_again.error().message.find("commit " + foreign), std::string::npos);
  EXPECT_NE(refused_again.error().message.find("not in allowedSigners"), std::string::npos) << refused_again.error().message;
}
