// Secrets a plugin reads from the operator's files and environment (a
// password, a token, an access key): what the `auth` blocks of the sources
// name as `...File` and `...Env` keys.
#pragma once

#include <string>

#include "driftless/result.hpp"

namespace driftless {

/// The first line of `file` (at most 64 KiB are read; a final carriage return is
/// dropped) when `file` is not empty, else the value of the environment
/// variable `variable`. An unreadable or empty file, or an unset or empty
/// variable, is an `unauthorized` error naming the file or the variable,
/// never the value.
Result<std::string> read_secret(const std::string& file, const std::string& variable);

}  // namespace driftless
