// The git source's config block, checked once when the config loads and kept
// as plain data: URL and its parts, the ref to follow, credentials (names of
// files and variables only; secrets are read at fetch time), verification.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "driftless/config.hpp"
#include "driftless/result.hpp"
#include "driftless/toolkit/semver.hpp"
#include "driftless/toolkit/settings.hpp"
#include "driftless/value.hpp"

namespace driftless::git {

enum class Transport { ssh, http, https, git, file };

/// The parts of a repository URL that checks need.
struct RemoteUrl {
  std::string text;       ///< as configured
  Transport transport = Transport::file;
  std::string user;       ///< from the URL ("git" in git@github.com:...)
  std::string host;
  int port = 0;           ///< default of the transport when not written
};

/// Parses ssh://, scp-like user@host:path, http(s)://, git://, file:// and
/// absolute paths. User info with a password in an http URL is refused.
Result<RemoteUrl> parse_remote_url(const std::string& url);

enum class RefKind { branch, tag, semver, commit };

struct GitRef {
  RefKind kind = RefKind::branch;
  std::string value;                 ///< branch or tag name, range text, 40-hex commit
  std::optional<SemVerRange> range;  ///< for semver
};

struct GitAuth {
  std::string ssh_key_file;
  std::string known_hosts_file;
  std::string username;
  std::string password_file;
  std::string password_env;
  std::string token_file;
  std::string token_env;
};

enum class SignatureKind { none, openpgp, ssh };

struct VerifySpec {
  SignatureKind kind = SignatureKind::none;
  std::string keys_file;  ///< OpenPGP keyring or SSH allowed_signers file
};

struct GitSpec {
  RemoteUrl url;
  GitRef ref;
  GitAuth auth;
  VerifySpec verify;
  std::chrono::milliseconds timeout{60000};
  int keep_snapshots = 3;
};

/// The config keys of the git source, each with the part of GitSpec it fills.
const SettingsSchema<GitSpec>& git_schema();

/// Builds a GitSpec from a validated config block (git_schema, then the
/// checks across keys); errors name the key and say what to write instead.
Result<GitSpec> parse_git_spec(const Value& config);

}  // namespace driftless::git
