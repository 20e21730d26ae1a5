// What the core checks of every render before a sink sees it, and how it keeps
// a run's diagnostics small enough to print, log and serve.
#pragma once

#include <cstddef>
#include <vector>

#include "driftless/artifact.hpp"
#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::core {

/// Most diagnostics a run keeps: CLI output, logs, the audit log and the API
/// all show these and one line counting the rest.
inline constexpr std::size_t kMaxDiagnostics = 100;

/// Every object must be addressable (apiVersion, kind, a fixed metadata.name
/// without control characters) and appear once; problems are errors naming
/// the object's file and line. An object still carrying a SOPS `sops:`
/// block (encrypted, no decrypting stage ran) is an error too.
void check_objects(const std::vector<KubeObject>& objects, std::vector<Diagnostic>& out);

/// A render of no objects from a folder that holds files is an error (a wrong
/// path, files no renderer reads), unless `allowed`. `folder` is relative to
/// the artifact root.
void check_not_empty(const Artifact& artifact, const std::string& folder, bool allowed, std::vector<Diagnostic>& out);

/// Keeps at most `max` of `diagnostics` (errors first, then warnings, each in
/// their order) and appends one line saying how many were left out; returns
/// that number.
std::size_t cap_diagnostics(std::vector<Diagnostic>& diagnostics, std::size_t max);

}  // namespace driftless::core
