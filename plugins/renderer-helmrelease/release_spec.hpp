// Reading HelmRelease objects (Flux v2 helm.toolkit.fluxcd.io and the Flux v1
// helm-operator's helm.fluxcd.io/v1) and the Flux source objects they name,
// field by field: what driftless supports is read, what it does not is a
// warning (or an error when ignoring it would install something else).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flux_fields.hpp"
#include "release.hpp"

namespace driftless::helmrelease {

/// The objects of the same render that a HelmRelease may name, by render_index_key().
using RenderIndex = std::map<std::string, const KubeObject*>;

/// The RenderIndex key of an object: "Kind/namespace/name".
inline std::string render_index_key(const std::string& kind, const std::string& namespace_name, const std::string& name) {
  return kind + "/" + namespace_name + "/" + name;
}

/// One entry of valuesFrom, in either format, or a values file of the chart.
struct ValuesReference {
  std::string kind;         ///< "ConfigMap", "Secret", or "ChartFile" (key: the file's path in the chart)
  std::string name;
  std::string namespace_name;
  std::string key = "values.yaml";
  std::string target_path;  ///< "" = merge the whole document
  bool optional = false;
  std::string field;        ///< "spec.valuesFrom[0]", for messages
};

/// A HelmRelease as read, before its chart is fetched and its values merged.
struct ReleaseSpec {
  Release release;  ///< chart, values and digest still empty
  ChartRequest chart;
  std::vector<ValuesReference> values_from;
  Value values;     ///< spec.values (merged last)
};

/// What the plugin's config adds to reading HelmReleases.
struct ReadOptions {
  /// OCI registries ("host:port", loopback only) Flux v1 charts are pulled from
  /// over plain HTTP; Flux v2 sources say `insecure: true` instead.
  std::vector<std::string> plain_http_registries;
};

/// True for the kinds this renderer takes out of the object list.
bool is_helm_release(const KubeObject& object);
/// True for the Flux source kinds (HelmRepository, GitRepository, ...).
bool is_flux_source(const KubeObject& object);

/// Reads one HelmRelease; nullopt after adding at least one error to `out`.
std::optional<ReleaseSpec> read_release(const KubeObject& object, const RenderIndex& index, std::vector<Diagnostic>& out,
                                        const ReadOptions& options = {});

/// True for a host ("host:port") that is this machine: 127.x.x.x, [::1] or localhost.
bool is_loopback_host(const std::string& host);

/// A diagnostic about `object`, at the place it was read.
Diagnostic finding(const KubeObject& object, Severity severity, std::string message);

using renderers::object_data;  // flux_fields.hpp

}  // namespace driftless::helmrelease
