// Decryption of a SOPS-encrypted document tree (github.com/getsops/sops v3
// format) in memory: the data key from an age recipient's copy or an OpenPGP
// recipient's (through gpg: pgp.hpp), every "ENC[AES256_GCM,…]" value opened
// with the value's key path as additional data, and the file's MAC checked
// over all values, so a tampered value, a value moved to another key or a
// removed value is refused.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "age.hpp"
#include "pgp.hpp"
#include "driftless/value.hpp"

namespace driftless::renderers {

/// What a SOPS file can be opened with.
struct SopsKeys {
  std::vector<AgeIdentity> age;
  std::string age_source;  ///< where the identities came from, for messages ("key file /etc/…")
  std::unique_ptr<PgpKeyring> pgp;  ///< null when no OpenPGP key was given
};

/// Decrypts the documents of one SOPS file in place, in file order (a
/// multi-document YAML file is one SOPS file: one data key, one MAC over all
/// of its documents). Each document's top-level `sops` block is removed; the
/// first one's metadata is used. On error the documents are left partly
/// decrypted: the caller must drop them. Messages name key paths, never values.
Result<void> decrypt_sops_documents(const std::vector<Value*>& documents, const SopsKeys& keys);

}  // namespace driftless::renderers
