// Object metadata that parses as YAML but that Kubernetes refuses at apply,
// caught at render time so the error can name the file and the object.
#pragma once

#include <string>
#include <vector>

#include "driftless/object.hpp"

namespace driftless::core {

/// One sentence per problem with the labels and annotations of `object` (its
/// metadata and its pod template's, spec.template.metadata): each must be a
/// map whose values are strings (an unquoted `true` or `3` is a boolean or a
/// number, which the API server refuses). Null values pass, as the API server
/// accepts them.
std::vector<std::string> string_map_problems(const KubeObject& object);

}  // namespace driftless::core
