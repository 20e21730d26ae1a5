// OpenPGP decryption of a SOPS file's data key, as sops and Flux's
// kustomize-controller do it: by GnuPG's gpg. The armored private keys are
// imported into a private GnuPG home (a 0700 temporary folder) the first time
// a file needs them; the home's gpg-agent is killed and the folder removed
// when the keyring goes. Keys and ciphertext reach gpg on its standard input
// only, the plaintext comes back on its standard output, never a file or argv.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/context.hpp"
#include "driftless/result.hpp"
#include "driftless/toolkit/process.hpp"
#include "secret_bytes.hpp"

namespace driftless::renderers {

/// Checks that `armored` holds one or more "-----BEGIN PGP PRIVATE KEY
/// BLOCK-----" blocks and nothing else but blank lines; the error names
/// `origin` and the line, never the text.
Result<void> check_armored_private_keys(std::string_view armored, const std::string& origin);

class PgpKeyring {
 public:
  /// `armored`: the private keys (checked with check_armored_private_keys);
  /// `source` names where they came from, for messages; gpg runs within the
  /// context's deadline and stops when it is cancelled.
  PgpKeyring(SecretBytes armored, std::string source, Context& context);
  ~PgpKeyring();
  PgpKeyring(const PgpKeyring&) = delete;
  PgpKeyring& operator=(const PgpKeyring&) = delete;

  const std::string& source() const { return source_; }
  /// The fingerprints of the secret keys gpg imported (empty before the first decrypt).
  const std::vector<std::string>& fingerprints() const { return fingerprints_; }

  /// The plaintext of an ASCII-armored OpenPGP message (a sops `pgp[].enc`),
  /// at most `max_plaintext` bytes. not_found when none of the keys opens it;
  /// another error when the keys cannot be imported, gpg is missing, fails
  /// or runs out of time.
  Result<SecretBytes> decrypt(std::string_view message, std::size_t max_plaintext);

 private:
  Result<void> import();
  Result<ProcessResult> gpg(std::vector<std::string> args, std::string input);

  SecretBytes armored_;
  std::string source_;
  Context& context_;
  std::unique_ptr<ScratchDir> home_;
  std::optional<Result<void>> imported_;
  std::vector<std::string> fingerprints_;
};

}  // namespace driftless::renderers
