// Internal to the SDK: how one YAML scalar becomes a JSON value and how a
// mapping key becomes a JSON member name, the way Kubernetes does it.
#pragma once

#include <string>
#include <string_view>

#include "driftless/value.hpp"

namespace driftless::yaml_detail {

/// What go-yaml v2 resolved a scalar to; keys need the distinction between
/// unsigned integers (refused as keys) and floats (formatted as float32).
enum class ScalarKind { null, boolean, integer, unsigned_integer, floating, timestamp, string };

struct Scalar {
  ScalarKind kind = ScalarKind::string;
  Value value;
};

/// A float as Kubernetes stores it: integral values within int64 become integers.
Value number_value(double d);

/// `s` with every byte that does not start valid UTF-8 replaced by U+FFFD (Go's encoding/json).
std::string valid_utf8(std::string_view s);

/// An untagged plain scalar ("yes", "0x1F", "1_000", "~" ...).
Scalar resolve_plain_scalar(std::string_view text);

/// A scalar with its tag (full form, "" when none) and style; false with
/// `error` set when the tag does not fit the text ("!!int abc").
bool resolve_scalar(std::string_view tag, std::string_view text, bool plain, Scalar& out, std::string& error);

/// strconv.FormatFloat(value, 'g', -1, 32): how sigs.k8s.io/yaml names a float key.
std::string go_float32_key(double value);

}  // namespace driftless::yaml_detail
