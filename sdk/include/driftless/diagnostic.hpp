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
///
/// What a finding does depends on its severity: an error from a renderer fails
/// the render of its whole pipeline (no object of it is printed, diffed or
/// applied, and nothing is pruned; the last good state stays), an error from a
/// sink means the target was not fully synced. Warnings and info are shown to
/// the user and change nothing.
struct Diagnostic {
  Severity severity = Severity::error;
  std::string message;  ///< one sentence: what is wrong and what to do
  std::string file;     ///< empty when not tied to a file
  int line = 0;         ///< 1-based; 0 when unknown
  std::string object;   ///< "Kind/namespace/name" when tied to an object
  int column = 0;       ///< 1-based, with `line`; 0 when unknown
};

/// "file:line:column: error: message (object)" — the one-line form users,
/// editors and CI annotations read (":column" only when known). The
/// core puts the stage in front of the message of a renderer's finding:
/// "clusters/dev/db.yaml:1: error: renderer 'team-labels' (stage 2 of 2): ...".
std::string format(const Diagnostic& diagnostic);

/// True when any diagnostic is an error.
bool has_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace driftless
