// How commands print: diagnostics to stderr, results to stdout as text or JSON.
#pragma once

#include <string>
#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/value.hpp"
#include "pipeline/engine.hpp"

namespace driftless::core {

/// One line per diagnostic on stderr.
void print_diagnostics(const std::vector<Diagnostic>& diagnostics);

/// A diagnostic as a JSON object.
Value to_value(const Diagnostic& diagnostic);

/// A run as JSON: pipeline, revision, ok, changes, diagnostics (objects when `with_objects`).
Value to_value(const PipelineRun& run, bool with_objects);

/// Left-aligned columns; the first row is the header.
std::string table(const std::vector<std::vector<std::string>>& rows);

}  // namespace driftless::core
