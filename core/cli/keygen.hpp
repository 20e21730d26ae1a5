// `driftless keygen`: a fresh ed25519 SSH key pair for a Git deploy key.
#pragma once

#include <filesystem>
#include <string>

#include "driftless/result.hpp"

namespace driftless::core {

/// Writes an ed25519 key pair: `out` holds the private key in OpenSSH format
/// (unencrypted, mode 0600), `out`.pub the public key line. Existing files are
/// never overwritten. Returns the public key line ("ssh-ed25519 AAAA... comment").
Result<std::string> generate_deploy_key(const std::filesystem::path& out, const std::string& comment);

/// The command: writes the pair, prints the public key and what to do with it.
/// 0 ok, 1 error.
int command_keygen(const std::string& out, const std::string& comment);

}  // namespace driftless::core
