// Commit signature verification with the real tools: OpenPGP signatures with
// `gpgv` against a keyring of allowed keys, SSH signatures with
// `ssh-keygen -Y verify` against an allowed_signers file. Both run through
// run_process (no shell, minimal environment, the fetch's deadline).
#pragma once

#include <git2.h>

#include <string>

#include "driftless/context.hpp"
#include "driftless/result.hpp"
#include "git_spec.hpp"

namespace driftless::git {

/// What a commit carries: "unsigned", "openpgp" or "ssh".
std::string signature_kind(git_repository* repository, const git_oid* commit);

/// Verifies the signature of `commit` against `verify`'s keys. Returns who
/// signed ("openpgp key <fingerprint>", "ssh principal <name> ..."); an error
/// names the commit and the reason (unsigned, wrong kind, unknown key, bad).
Result<std::string> verify_commit(git_repository* repository, const git_oid* commit, const VerifySpec& verify,
                                  Context& context, std::chrono::steady_clock::time_point deadline);

}  // namespace driftless::git
