// Flux source objects a Kustomization reads that are not the pipeline's own
// repository, as the source plugin its declared pipeline fetches: a
// GitRepository of another repository (or another branch or tag of this one)
// becomes the `git` source at that URL and ref, an OCIRepository the `oci`
// source. Only what a repository can safely ask for: public http(s), git://
// and oci:// URLs, no credentials (a secretRef names a Secret of the cluster,
// which driftless never reads), never a path of the machine driftless runs on.
#pragma once

#include <optional>
#include <vector>

#include "driftless/artifact.hpp"
#include "driftless/object.hpp"
#include "driftless/plugin.hpp"

namespace driftless::renderers {

/// Whether the GitRepository `namespace_name`/`name` (its `spec`, nullptr
/// when the object is not in the render) is the repository the pipeline
/// itself reads: Flux bootstrap's flux-system/flux-system, or the URL of the
/// pipeline's source (Artifact::metadata "url") up to scheme, user, ".git"
/// and a final '/', following the same branch or tag (or no ref at all).
bool is_own_repository(const std::string& namespace_name, const std::string& name, const Value* spec,
                       const Artifact& artifact);

/// The source plugin for the GitRepository `source`, which is not the
/// pipeline's own repository; findings naming its fields go to `out`
/// (against `source`), and nullopt comes back when it cannot be fetched.
std::optional<PluginUse> git_source_of(const KubeObject& source, std::vector<Diagnostic>& out);

/// The `oci` source plugin for the OCIRepository `source` (url, ref,
/// insecure, layerSelector, timeout), as git_source_of does for a GitRepository.
std::optional<PluginUse> oci_source_of(const KubeObject& source, std::vector<Diagnostic>& out);

}  // namespace driftless::renderers
