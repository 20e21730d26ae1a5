// Secrets a plugin reads from the operator's files and environment (a
// password, a token, an access key): what the `auth` blocks of the sources
// name as `...File` and `...Env` keys, and the basic auth those blocks share.
#pragma once

#include <string>

#include "driftless/result.hpp"
#include "driftless/toolkit/settings.hpp"

namespace driftless {

/// HTTP basic auth as an `auth` block takes it: a user name, and its password
/// from a file or an environment variable.
struct BasicAuth {
  std::string username;       ///< empty = anonymous
  std::string password_file;  ///< first line is the password
  std::string password_env;   ///< variable holding the password
};

/// The keys "username", "passwordFile" and "passwordEnv", for SettingsSchema::part.
const SettingsSchema<BasicAuth>& basic_auth_schema();

/// `auth` when it names a user with exactly one password source, or nobody;
/// otherwise an error naming the keys ("auth: ...").
Result<BasicAuth> checked_basic_auth(BasicAuth auth);

/// The first line of `file` (at most 64 KiB are read; a final carriage return is
/// dropped) when `file` is not empty, else the value of the environment
/// variable `variable`. An unreadable or empty file, or an unset or empty
/// variable, is an `unauthorized` error naming the file or the variable,
/// never the value.
Result<std::string> read_secret(const std::string& file, const std::string& variable);

}  // namespace driftless
