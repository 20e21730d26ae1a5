// Kubernetes objects out of a manifest stream, read the way kubectl reads a
// file: every renderer that parses YAML (files, `kustomize build` output,
// `helm template` output) goes through here, so they agree on what an object is.
#pragma once

#include <string>
#include <string_view>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/yaml.hpp"

namespace driftless {

/// What to do with a document that has no apiVersion or kind.
enum class MissingKind {
  error,    ///< an error diagnostic (kubectl refuses such a file)
  warning,  ///< a warning; the document is skipped
  ignore,   ///< skipped silently (e.g. a values file next to manifests)
};

struct ManifestOptions {
  MissingKind missing_kind = MissingKind::error;
  YamlLimits limits;
};

/// The objects of a YAML or JSON stream with kubectl's semantics: documents
/// parsed by parse_yaml, empty ones skipped, a document with an `items` field
/// flattened into its items (an item without apiVersion and kind gets the
/// list's apiVersion and its kind minus "List", as for a ConfigMapList), and
/// every object's provenance set to `file`, its document index and line.
/// Problems come back as diagnostics naming `file` and the line.
RenderResult parse_manifests(std::string_view text, const std::string& file, const ManifestOptions& options = {});

/// "file:line" of a provenance, for a message naming another object's place;
/// only "file" when the line is unknown (objects kustomize or helm wrote).
std::string place_of(const Provenance& origin);

}  // namespace driftless
