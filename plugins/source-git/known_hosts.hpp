// Strict SSH host key checking against an OpenSSH known_hosts file: plain and
// hashed ("|1|salt|hash") host patterns, "[host]:port" entries, wildcards,
// negations and @revoked markers. An unknown or changed key is refused.
#pragma once

#include <string>
#include <vector>

#include "driftless/result.hpp"

namespace driftless::git {

/// One usable line of a known_hosts file.
struct KnownHost {
  std::string patterns;  ///< the host field as written (comma-separated, maybe hashed)
  std::string key_type;  ///< "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa" ...
  std::string key;       ///< the public key blob, decoded
  bool revoked = false;  ///< "@revoked" line
  int line = 0;
};

/// The entries of a known_hosts file; @cert-authority lines are skipped.
Result<std::vector<KnownHost>> read_known_hosts(const std::string& file);

/// Checks the key a server presented. `host` as in the URL, `port` its port
/// (22 is written without brackets). Ok when an entry for the host carries
/// exactly this key; otherwise an error that says whether the host is unknown,
/// its key changed, or the key is revoked, with the offered key's fingerprint.
Result<void> check_host_key(const std::vector<KnownHost>& entries, const std::string& file, const std::string& host,
                            int port, const std::string& key_type, const std::string& key);

/// "SHA256:<base64>" fingerprint of a key blob, as ssh-keygen -l prints it.
std::string fingerprint(const std::string& key);

}  // namespace driftless::git
