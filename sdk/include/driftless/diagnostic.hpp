// Structured findings that renderers, sinks and the config loader report
// instead of throwing: they always say where (file, line) and what (object).
#pragma once

#include <string>
#include <vector>

namespace driftless {

enum class Severity { info, warning, error };

/// Name of a severity ("info", "warning", "error").
const char* to_string(Severity severity);

/// One finding. `file` is relative to the artifact root when it comes from a source.
struct Diagnostic {
  Severity severity = Severity::error;
  std::string message;
  std::string file;    ///< empty when not tied to a file
  int line = 0;        ///< 1-based; 0 when unknown
  std::string object;  ///< "Kind/namespace/name" when tied to an object
};

/// "file:line: error: message (object)" — the one-line form users see.
std::string format(const Diagnostic& diagnostic);

/// True when any diagnostic is an error.
bool has_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace driftless
