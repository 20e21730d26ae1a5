// The part of Go's text/template that Argo CD ApplicationSet templates use in
// one action ({{ ... }}): field references (.path.basename), string and
// integer literals, pipelines (x | f a), and functions whose result is not in
// doubt: index, lower, upper, trim, trimPrefix, trimSuffix, replace, trunc,
// default (sprig's) and normalize (Argo CD's). Anything else (if, range,
// other functions, parentheses) is an error naming it, never a guess.
#pragma once

#include <string>
#include <string_view>

#include "driftless/result.hpp"
#include "driftless/value.hpp"

namespace driftless::renderers {

/// The value of the action `action` (the text between {{ and }}, trimmed)
/// over `data`. A field that `data` lacks: ErrorCode::not_found; anything
/// not supported or ill-formed: ErrorCode::invalid_input.
Result<Value> evaluate_action(std::string_view action, const Value& data);

/// A value as a template writes it: strings as they are, nothing as "", other values as JSON.
std::string text_of(const Value& value);

/// Argo CD's SanitizeName (normalize, basenameNormalized, nameNormalized):
/// lower case, anything but [a-z0-9-.] becomes '-', at most 253 characters,
/// no '-' or '.' at either end.
std::string sanitized_name(const std::string& name);

}  // namespace driftless::renderers
