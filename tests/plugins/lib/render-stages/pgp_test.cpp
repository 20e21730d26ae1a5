// The OpenPGP keyring's bounds: gpg never runs past the render's deadline and
// stops when the render is cancelled (the decryption itself is proven against
// the real sops in tests/plugins/renderer-sops).
#include <gtest/gtest.h>

#include "pgp.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::renderers;

namespace {

constexpr std::string_view kKey = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxcLYBGZ\n-----END PGP PRIVATE KEY BLOCK-----\n";

SecretBytes bytes(std::string_view text) { return SecretBytes(text.begin(), text.end()); }

}  // namespace

TEST(PgpKeyring, GpgDoesNotRunPastTheDeadline) {
  test::TestContext context;
  context.deadline_at = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  PgpKeyring keyring(bytes(kKey), "pgpKeyFile keys.asc", context);
  auto opened = keyring.decrypt("-----BEGIN PGP MESSAGE-----\n", 32);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::timeout);
  EXPECT_NE(opened.error().message.find("deadline passed"), std::string::npos) << opened.error().message;
}

TEST(PgpKeyring, ACancelledRenderStopsGpg) {
  ASSERT_EQ(test::run({"gpg", "--version"}).exit_code, 0) << "gpg (GnuPG) is missing: tests/env/install-deps installs gnupg";
  test::TestContext context;
  context.cancel = true;
  PgpKeyring keyring(bytes(kKey), "pgpKeyFile keys.asc", context);
  auto opened = keyring.decrypt("-----BEGIN PGP MESSAGE-----\n", 32);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::cancelled) << opened.error().message;
}

TEST(ArmoredPrivateKeys, OnlyWholePrivateKeyBlocksPass) {
  EXPECT_TRUE(check_armored_private_keys(std::string(kKey) + "\n" + std::string(kKey), "k").ok());
  EXPECT_EQ(check_armored_private_keys("", "k").error().message,
            "k holds no ASCII-armored OpenPGP private key ('-----BEGIN PGP PRIVATE KEY BLOCK-----')");
  EXPECT_EQ(check_armored_private_keys("\r\n-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n", "k").error().message.substr(0, 22),
            "k:2: a public key bloc");
}
