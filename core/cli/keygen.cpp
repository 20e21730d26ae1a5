#include "cli/keygen.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <memory>

#include "driftless/toolkit/hash.hpp"

namespace driftless::core {
namespace {

namespace fs = std::filesystem;

// SSH wire encoding (RFC 4251): big-endian uint32, length-prefixed strings.
void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_string(std::string& out, const std::string& s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

// The "openssh-key-v1" container (PROTOCOL.key in OpenSSH) without a cipher.
std::string openssh_private_key(const std::string& public_key, const std::string& seed, const std::string& comment) {
  std::string public_blob;
  put_string(public_blob, "ssh-ed25519");
  put_string(public_blob, public_key);
  std::uint32_t check = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check);
  std::string secret;
  put_u32(secret, check);
  put_u32(secret, check);
  put_string(secret, "ssh-ed25519");
  put_string(secret, public_key);
  put_string(secret, seed + public_key);  // ed25519 private key = seed || public key
  put_string(secret, comment);
  for (char pad = 1; secret.size() % 8 != 0; ++pad) secret.push_back(pad);
  std::string body("openssh-key-v1", 15);  // with its terminating NUL
  put_string(body, "none");
  put_string(body, "none");
  put_string(body, "");
  put_u32(body, 1);
  put_string(body, public_blob);
  put_string(body, secret);
  const std::string encoded = base64_encode(body);
  std::string pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (std::size_t i = 0; i < encoded.size(); i += 70) pem += encoded.substr(i, 70) + "\n";
  return pem + "-----END OPENSSH PRIVATE KEY-----\n";
}

Result<void> write_new_file(const fs::path& file, const std::string& content, mode_t mode) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return fail(ErrorCode::invalid_input, file.string() + (errno == EEXIST ? " already exists; remove it or choose another --out"
                                                                           : " cannot be created"));
  const bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::fchmod(fd, mode);  // whatever the umask
  ::close(fd);
  if (!ok) return fail(ErrorCode::internal, "cannot write " + file.string());
  return {};
}

}  // namespace

Result<std::string> generate_deploy_key(const fs::path& out, const std::string& comment) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
  if (!key) return fail(ErrorCode::internal, "OpenSSL could not generate an ed25519 key");
  std::string seed(32, '\0'), public_key(32, '\0');
  std::size_t seed_length = seed.size(), public_length = public_key.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(seed.data()), &seed_length) != 1 ||
      EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(public_key.data()), &public_length) != 1)
    return fail(ErrorCode::internal, "OpenSSL could not export the ed25519 key");
  std::string public_blob;
  put_string(public_blob, "ssh-ed25519");
  put_string(public_blob, public_key);
  const std::string public_line = "ssh-ed25519 " + base64_encode(public_blob) + " " + comment;
  const fs::path public_file = out.string() + ".pub";
  std::error_code ec;
  if (fs::exists(public_file, ec)) return fail(ErrorCode::invalid_input, public_file.string() + " already exists; remove it or choose another --out");
  if (auto r = write_new_file(out, openssh_private_key(public_key, seed, comment), 0600); !r.ok()) return r.error();
  OPENSSL_cleanse(seed.data(), seed.size());
  if (auto r = write_new_file(public_file, public_line + "\n", 0644); !r.ok()) return r.error();
  return public_line;
}

int command_keygen(const std::string& out, const std::string& comment) {
  std::string name = comment;
  if (name.empty()) {
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    name = std::string("driftless@") + host;
  }
  auto public_line = generate_deploy_key(out, name);
  if (!public_line.ok()) {
    std::cerr << "error: " << public_line.error().message << "\n";
    return 1;
  }
  std::cout << *public_line << "\n";
  std::cerr << "Private key written to " << out << " (mode 0600), public key to " << out << ".pub.\n"
            << "Add the public key above as a read-only deploy key of the repository, then use\n"
            << "  auth: {sshKeyFile: " << out << ", knownHostsFile: <the Git host's known_hosts>}\n";
  return 0;
}

}  // namespace driftless::core
