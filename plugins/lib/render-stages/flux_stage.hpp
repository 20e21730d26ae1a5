// The "flux" renderer's work, which auto also runs when a folder holds Flux
// objects: the Flux v2 objects of a render describe work for driftless, not
// state for the cluster. Each Kustomization becomes a declared pipeline
// (flux_kustomization.hpp); the sources they read are taken out; the
// HelmReleases and the sources they name are passed on to the helmrelease
// renderer; Flux's own install (gotk-components.yaml) and the kinds driftless
// does not do (notifications, image automation) are left out, each named in
// a warning. Where the cluster serves the Kustomization kind, each declared
// pipeline's last stage is flux-status (plugins/renderer-flux-status), which
// writes the Kustomization's status after the pipeline applied. See
// docs/renderers.md and docs/migrating-from-flux.md.
#pragma once

#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/settings.hpp"
#include "sops_stage.hpp"

namespace driftless::renderers {

struct FluxSettings {
  /// Stages a declared pipeline runs after Flux's own (helmrelease by default).
  std::vector<std::string> child_renderers;
  /// The age identities and OpenPGP keys a declared pipeline with decryption.provider: sops decrypts with.
  SopsSettings sops;
};

/// The flux renderer's config keys, each with the field it fills.
const SettingsSchema<FluxSettings>& flux_schema();

/// True when `group` is one of Flux's API groups (*.toolkit.fluxcd.io, any *.fluxcd.io).
bool is_flux_group(const std::string& group);

/// True when any object is a Flux object or a part of Flux's install.
bool holds_flux_objects(const std::vector<KubeObject>& objects);

/// Takes the Flux objects out of `out.objects`, declaring a pipeline for each
/// Kustomization into `out.pipelines`, with findings in `out.diagnostics`.
/// `cluster` (Context::cluster_info(), may be nullptr) says whether the
/// cluster serves Flux's Kustomization kind: then each declared pipeline ends
/// with the flux-status stage, which writes its Kustomization's status.
void read_flux_objects(const RenderRequest& request, const FluxSettings& settings, const ClusterInfo* cluster,
                       RenderResult& out);

}  // namespace driftless::renderers
