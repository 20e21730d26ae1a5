#include "crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <memory>

namespace driftless::renderers::crypto {
namespace {

const unsigned char* u(Bytes b) { return reinterpret_cast<const unsigned char*>(b.data()); }
int len(Bytes b) { return static_cast<int>(b.size()); }

struct CipherFree { void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); } };
struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); } };
struct KdfFree { void operator()(EVP_KDF* k) const { EVP_KDF_free(k); } };
struct KdfCtxFree { void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); } };

// One AEAD open: the cipher, its nonce length, the tag to check.
std::optional<SecretBytes> aead_open(const EVP_CIPHER* cipher, Bytes key, Bytes nonce, Bytes ciphertext, Bytes tag,
                                     Bytes aad) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, len(nonce), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u(key), u(nonce)) != 1)
    return std::nullopt;
  int n = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &n, u(aad), len(aad)) != 1) return std::nullopt;
  SecretBytes plain(ciphertext.size() + 16);
  if (EVP_DecryptUpdate(ctx.get(), plain.data(), &n, u(ciphertext), len(ciphertext)) != 1) return std::nullopt;
  std::size_t written = static_cast<std::size_t>(n);
  std::string tag_copy(tag);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, len(tag), tag_copy.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + written, &n) != 1)
    return std::nullopt;
  plain.resize(written + static_cast<std::size_t>(n));
  return plain;
}

}  // namespace

SecretBytes hkdf_sha256(Bytes key, Bytes salt, Bytes info, std::size_t length) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(key.data()), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  SecretBytes out(length);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) out.clear();
  return out;
}

SecretBytes hmac_sha256(Bytes key, Bytes data) {
  SecretBytes out(32);
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), len(key), u(data), data.size(), out.data(), &n)) out.clear();
  return out;
}

std::optional<SecretBytes> x25519_public(Bytes private_key) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, u(private_key), private_key.size()));
  SecretBytes out(32);
  std::size_t n = out.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), out.data(), &n) != 1 || n != 32) return std::nullopt;
  return out;
}

std::optional<SecretBytes> x25519(Bytes private_key, Bytes peer) {
  std::unique_ptr<EVP_PKEY, PkeyFree> mine(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, u(private_key), private_key.size()));
  std::unique_ptr<EVP_PKEY, PkeyFree> theirs(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, u(peer), peer.size()));
  if (!mine || !theirs) return std::nullopt;
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(mine.get(), nullptr));
  SecretBytes shared(32);
  std::size_t n = shared.size();
  // OpenSSL refuses an all-zero shared secret itself (derive fails).
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &n) != 1 || n != 32)
    return std::nullopt;
  const SecretBytes zero(32, 0);
  if (equal(view(shared), view(zero))) return std::nullopt;
  return shared;
}

std::optional<SecretBytes> chacha20_poly1305_open(Bytes key, Bytes nonce, Bytes sealed, Bytes aad) {
  if (key.size() != 32 || nonce.size() != 12 || sealed.size() < 16) return std::nullopt;
  return aead_open(EVP_chacha20_poly1305(), key, nonce, sealed.substr(0, sealed.size() - 16),
                   sealed.substr(sealed.size() - 16), aad);
}

std::optional<SecretBytes> aes256_gcm_open(Bytes key, Bytes nonce, Bytes ciphertext, Bytes tag, Bytes aad) {
  if (key.size() != 32 || nonce.empty() || tag.size() != 16) return std::nullopt;
  return aead_open(EVP_aes_256_gcm(), key, nonce, ciphertext, tag, aad);
}

bool equal(Bytes a, Bytes b) { return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

}  // namespace driftless::renderers::crypto
