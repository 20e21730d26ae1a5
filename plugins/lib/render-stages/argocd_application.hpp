// One Argo CD Application as a declared pipeline of the pipeline whose
// render holds it: its folder rendered by the tool Argo CD would pick, from
// the pipeline's own repository and revision, or from a source of its own
// (another Git repository, a chart of a Helm repository or OCI registry)
// where the configured pipeline allows declared sources.
#pragma once

#include <optional>
#include <vector>

#include "argocd_stage.hpp"

namespace driftless::renderers {

struct ApplicationPipeline {
  DeclaredPipeline pipeline;
  long wave = 0;  ///< argocd.argoproj.io/sync-wave
};

/// The pipeline `application` declares; nullopt after an error (in `out`).
std::optional<ApplicationPipeline> read_application(const KubeObject& application, const Artifact& artifact,
                                                    const ArgocdSettings& settings, std::vector<Diagnostic>& out);

}  // namespace driftless::renderers
