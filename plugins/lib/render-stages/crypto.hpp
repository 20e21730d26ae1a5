// The few primitives age and SOPS decryption need, on OpenSSL 3's libcrypto.
// Every function reports failure (a bad tag, a low-order point) as nullopt:
// callers turn that into a message about the file, never about OpenSSL.
#pragma once

#include <optional>
#include <string_view>

#include "secret_bytes.hpp"

namespace driftless::renderers::crypto {

using Bytes = std::string_view;  ///< input bytes, secret or not (not copied)

inline Bytes view(const SecretBytes& bytes) { return as_text(bytes); }

/// HKDF-SHA-256 (RFC 5869) of `length` bytes.
SecretBytes hkdf_sha256(Bytes key, Bytes salt, Bytes info, std::size_t length);

/// HMAC-SHA-256 of `data`.
SecretBytes hmac_sha256(Bytes key, Bytes data);

/// X25519: the public key of a 32-byte private scalar.
std::optional<SecretBytes> x25519_public(Bytes private_key);

/// X25519: the shared secret of `private_key` and `peer`; nullopt for an
/// all-zero result (a low-order peer point), which age refuses.
std::optional<SecretBytes> x25519(Bytes private_key, Bytes peer);

/// ChaCha20-Poly1305 (RFC 8439) open: `sealed` is ciphertext followed by the 16-byte tag.
std::optional<SecretBytes> chacha20_poly1305_open(Bytes key, Bytes nonce, Bytes sealed, Bytes aad = {});

/// AES-256-GCM open with a nonce of any length (SOPS uses 32 bytes).
std::optional<SecretBytes> aes256_gcm_open(Bytes key, Bytes nonce, Bytes ciphertext, Bytes tag, Bytes aad);

/// Constant-time equality of two byte strings of the same length.
bool equal(Bytes a, Bytes b);

}  // namespace driftless::renderers::crypto
