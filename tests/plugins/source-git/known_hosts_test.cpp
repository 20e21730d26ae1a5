#include <gtest/gtest.h>

#include "driftless/toolkit/hash.hpp"
#include "known_hosts.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::git;
using driftless::test::run;
using driftless::test::TempDir;
using driftless::test::write_file;

namespace {
// The key blob of an "ssh-ed25519 AAAA..." public key line.
std::string blob_of(const std::string& line) {
  auto start = line.find(' ') + 1;
  return *base64_decode(line.substr(start, line.find_first_of(" \n", start) - start));
}
}  // namespace

TEST(KnownHosts, PlainHashedWildcardPortAndRevoked) {
  TempDir dir;
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir / "a").string()}).exit_code, 0);
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir / "b").string()}).exit_code, 0);
  const std::string a = driftless::test::read_file(dir / "a.pub");
  const std::string b = driftless::test::read_file(dir / "b.pub");
  const std::string a_key = a.substr(0, a.rfind(' '));
  write_file(dir / "plain", "# comment\n\ngit.example.com,10.0.0.1 " + a_key + "\n[git.example.com]:2222 " + a_key +
                                "\n*.corp.example " + a_key + "\n!bad.corp.example,*.corp.example " + a_key + "\n");
  auto hosts = read_known_hosts((dir / "plain").string());
  ASSERT_TRUE(hosts.ok()) << hosts.error().message;
  const std::string key = blob_of(a);
  EXPECT_TRUE(check_host_key(*hosts, "f", "git.example.com", 22, "ssh-ed25519", key).ok());
  EXPECT_TRUE(check_host_key(*hosts, "f", "10.0.0.1", 22, "ssh-ed25519", key).ok());
  EXPECT_TRUE(check_host_key(*hosts, "f", "git.example.com", 2222, "ssh-ed25519", key).ok());
  EXPECT_TRUE(check_host_key(*hosts, "f", "x.corp.example", 22, "ssh-ed25519", key).ok());
  auto other_port = check_host_key(*hosts, "f", "git.example.com", 2200, "ssh-ed25519", key);
  ASSERT_FALSE(other_port.ok());
  EXPECT_NE(other_port.error().message.find("unknown host [git.example.com]:2200"), std::string::npos);
  auto changed = check_host_key(*hosts, "f", "git.example.com", 22, "ssh-ed25519", blob_of(b));
  ASSERT_FALSE(changed.ok());
  EXPECT_NE(changed.error().message.find("HOST KEY MISMATCH for git.example.com"), std::string::npos);
  EXPECT_NE(changed.error().message.find(fingerprint(blob_of(b))), std::string::npos);

  write_file(dir / "hashed", "git.example.com " + a_key + "\n@revoked * " + b.substr(0, b.rfind(' ')) + "\n");
  ASSERT_EQ(run({"ssh-keygen", "-H", "-f", (dir / "hashed").string()}).exit_code, 0);
  auto hashed = read_known_hosts((dir / "hashed").string());
  ASSERT_TRUE(hashed.ok());
  EXPECT_TRUE(check_host_key(*hashed, "f", "git.example.com", 22, "ssh-ed25519", key).ok());
  EXPECT_FALSE(check_host_key(*hashed, "f", "other.example.com", 22, "ssh-ed25519", key).ok());
  auto revoked = check_host_key(*hashed, "f", "git.example.com", 22, "ssh-ed25519", blob_of(b));
  ASSERT_FALSE(revoked.ok());
  EXPECT_NE(revoked.error().message.find("@revoked"), std::string::npos);
}

TEST(KnownHosts, FingerprintMatchesSshKeygen) {
  TempDir dir;
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir / "k").string()}).exit_code, 0);
  auto listed = run({"ssh-keygen", "-l", "-f", (dir / "k.pub").string()});
  EXPECT_NE(listed.out.find(fingerprint(blob_of(driftless::test::read_file(dir / "k.pub")))), std::string::npos) << listed.out;
}
