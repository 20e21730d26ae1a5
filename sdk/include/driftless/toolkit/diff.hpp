// Human-readable differences between two versions of an object, for
// `driftless diff`. Secret values never appear in the output.
#pragma once

#include <string>
#include <string_view>

#include "driftless/value.hpp"

namespace driftless {

/// A unified diff ("--- before", "+++ after", "@@" hunks with 3 lines of
/// context) of two texts; "" when equal.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view label);

/// A unified diff of two objects as YAML. For Secrets the values of data and
/// stringData are replaced by "***" (and "*** (changed)" where they differ).
std::string object_diff(const Value& before, const Value& after, std::string_view label);

}  // namespace driftless
