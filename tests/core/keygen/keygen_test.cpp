// `driftless keygen` writes keys OpenSSH itself accepts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support.hpp"

using namespace driftless::test;

TEST(Keygen, WritesAnEd25519PairThatSshKeygenAccepts) {
  TempDir dir;
  const auto key = dir / "deploy-key";
  auto made = driftless::test::run_driftless({"keygen", "--out", key.string(), "--comment", "fleet@test"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string public_line = read_file(dir / "deploy-key.pub");
  EXPECT_EQ(made.out, public_line);
  EXPECT_EQ(public_line.rfind("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", 0), 0u) << public_line;
  EXPECT_NE(public_line.find(" fleet@test\n"), std::string::npos);

  struct stat s {};
  ASSERT_EQ(::stat(key.c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0600u);
  EXPECT_EQ(read_file(key).rfind("-----BEGIN OPENSSH PRIVATE KEY-----\n", 0), 0u);

  // ssh-keygen derives the same public key from the private file...
  auto derived = run({"ssh-keygen", "-y", "-f", key.string()});
  ASSERT_EQ(derived.exit_code, 0) << derived.err;
  EXPECT_EQ(derived.out, public_line);
  // ...and fingerprints both halves alike.
  auto from_private = run({"ssh-keygen", "-l", "-f", key.string()});
  auto from_public = run({"ssh-keygen", "-l", "-f", (dir / "deploy-key.pub").string()});
  ASSERT_EQ(from_private.exit_code, 0);
  EXPECT_EQ(from_private.out, from_public.out);
  EXPECT_NE(from_public.out.find("(ED25519)"), std::string::npos);
  // A signature made with the key verifies with the public half.
  write_file(dir / "message", "hello");
  ASSERT_EQ(run({"ssh-keygen", "-Y", "sign", "-f", key.string(), "-n", "test", (dir / "message").string()}).exit_code, 0);
  write_file(dir / "allowed", "me " + public_line);
  auto verified = run({"sh", "-c", "ssh-keygen -Y verify -f " + (dir / "allowed").string() + " -I me -n test -s " +
                                       (dir / "message.sig").string() + " < " + (dir / "message").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.err << verified.out;
}

TEST(Keygen, NeverOverwritesAKey) {
  TempDir dir;
  write_file(dir / "key", "precious");
  auto refused = driftless::test::run_driftless({"keygen", "--out", (dir / "key").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("already exists"), std::string::npos) << refused.err;
  EXPECT_EQ(read_file(dir / "key"), "precious");
}
