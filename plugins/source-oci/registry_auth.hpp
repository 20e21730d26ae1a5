// How the oci source proves who it is to a registry: the credentials the
// spec names (read at fetch time), and the challenge a registry answers 401
// with — "Basic" (send the credentials) or "Bearer realm=...,service=...,
// scope=..." (ask the realm for a token, anonymously or with the credentials,
// as ghcr.io and Docker Hub require even for public repositories).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "driftless/result.hpp"
#include "oci_spec.hpp"

namespace driftless::oci {

/// A user name and password (or token); the password is secret: never logged.
struct Credentials {
  std::string username;
  std::string password;
};

/// The credentials `auth` names for `host`; nullopt when it names none.
/// Errors say which file or variable is missing, never a secret.
Result<std::optional<Credentials>> read_credentials(const OciAuth& auth, const std::string& host);

/// One WWW-Authenticate challenge: scheme in lower case ("bearer", "basic") and its parameters.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};

/// Parses `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"`.
std::optional<Challenge> parse_challenge(const std::string& header);

/// "Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& credentials);

}  // namespace driftless::oci
