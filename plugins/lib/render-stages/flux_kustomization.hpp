// One Flux Kustomization (kustomize.toolkit.fluxcd.io v1, v1beta2) read as a
// declared pipeline: its folder, interval, dependencies and suspension; how
// the kube sink applies it (prune, wait, timeout, force, serviceAccountName,
// targetNamespace) as the sink overlay; and the stages Flux runs on the
// folder (generator, kustomize overlay, sops, post-build substitution, nested
// Kustomizations) as its renderer chain, ending with flux-status (which
// writes the Kustomization's status) where the cluster serves the kind.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "flux_artifacts.hpp"
#include "flux_sources.hpp"
#include "flux_stage.hpp"

namespace driftless::renderers {

/// What reading a Kustomization needs from the render that holds it.
struct FluxRender {
  const RenderRequest& request;
  const FluxSettings& settings;
  /// The objects the render passes on: the ConfigMaps and Secrets of postBuild.substituteFrom.
  const std::vector<KubeObject>& objects;
  /// The Flux source objects of the render (GitRepository, OCIRepository, ...).
  const std::vector<KubeObject>& sources;
  /// The ExternalArtifacts the render's ArtifactGenerators make.
  const ExternalArtifacts& artifacts;
  /// What the sink knows about the cluster; nullptr when nothing (a render, a dir sink).
  const ClusterInfo* cluster;
};

/// The apiVersion the status of `kustomization` is written through on
/// `cluster`: its own when the cluster serves it, else
/// kustomize.toolkit.fluxcd.io/v1 when served; "" when neither is, or
/// `cluster` is nullptr.
std::string served_status_version(const KubeObject& kustomization, const ClusterInfo* cluster);

/// "Kind/namespace/name" of the source the Kustomization reads (spec.sourceRef).
std::string source_ref_id(const KubeObject& kustomization);

/// The pipeline `kustomization` declares. Nullopt when it declares none to
/// run: an error was added to `out`, or it is the Kustomization that applies
/// the rendered folder itself (Flux bootstrap's flux-system), skipped with an info.
std::optional<DeclaredPipeline> read_kustomization(const KubeObject& kustomization, const FluxRender& render,
                                                   std::vector<Diagnostic>& out);

}  // namespace driftless::renderers
