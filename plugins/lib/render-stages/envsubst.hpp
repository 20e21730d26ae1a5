// The expression language of Flux's postBuild substitution: bash-style
// ${...} expressions as fluxcd/pkg/envsubst (a fork of drone/envsubst)
// parses and evaluates them, quirks included, so a manifest that works under
// Flux gives the same text here. Written after that library's scanner,
// parser and functions (parse/scan.go, parse/parse.go, template.go, funcs.go,
// path/match.go); "$$" escapes a "$"; a bare $name is plain text.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "driftless/result.hpp"

namespace driftless::renderers {

/// The value of a variable; nullopt when it is unset.
using VariableLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// `text` with every expression evaluated. An unset variable reads as ""
/// unless `strict`, where one used without a default operator (-, =, ?, +
/// and their ':' forms) is an error naming it, as Flux's
/// StrictPostBuildSubstitutions gate does. A malformed expression is an
/// error with Flux's wording ("bad substitution", "missing closing brace"...).
/// At most `max_bytes` are produced in all (partial results included): more
/// is an error, so a variable used many times cannot exhaust memory.
Result<std::string> expand_variables(std::string_view text, const VariableLookup& lookup, bool strict,
                                     std::size_t max_bytes);

}  // namespace driftless::renderers
