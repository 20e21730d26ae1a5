// One Argo CD Application as a declared pipeline of the pipeline whose
// render holds it: same repository and revision, same cluster, its folder
// rendered by the tool Argo CD would pick.
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
