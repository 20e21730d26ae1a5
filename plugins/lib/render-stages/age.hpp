// Decryption of age v1 files (age-encryption.org/v1) with X25519 identities:
// what SOPS stores as each age recipient's copy of a file's data key.
// Other stanza types (scrypt, ssh-*, plugins) are skipped: only an X25519
// identity can open a file here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "driftless/result.hpp"
#include "secret_bytes.hpp"

namespace driftless::renderers {

struct AgeIdentity {
  SecretBytes secret;     ///< the 32-byte X25519 scalar
  SecretBytes recipient;  ///< its public key, 32 bytes
  std::string origin;     ///< where it was read ("key file /etc/…:3"), for messages
};

/// The identities in an age key file's text: "AGE-SECRET-KEY-1…" lines;
/// blank lines and "#" comments are skipped. `origin` names the source
/// in messages; a malformed line is an error naming its line number, never its text.
Result<std::vector<AgeIdentity>> parse_age_identities(std::string_view text, const std::string& origin);

/// The "age1…" recipient of an identity (what `age-keygen -y` prints).
std::string age_recipient(const AgeIdentity& identity);

/// The plaintext of an age file, binary or ASCII-armored ("-----BEGIN AGE
/// ENCRYPTED FILE-----"), opened with the first identity that matches one of
/// its X25519 stanzas. The header MAC and every payload chunk are verified.
/// not_found when no identity matches; invalid_input for a malformed or
/// tampered file. `max_plaintext` bounds the output.
Result<SecretBytes> age_decrypt(std::string_view file, const std::vector<AgeIdentity>& identities,
                                std::size_t max_plaintext);

}  // namespace driftless::renderers
