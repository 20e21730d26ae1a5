// One Argo CD Application as declared pipelines of the pipeline whose render
// holds it: its folder rendered by the tool Argo CD would pick, from the
// pipeline's own repository and revision, or from a source of its own
// (another Git repository, a chart of a Helm repository or OCI registry)
// where the configured pipeline allows declared sources. A multi-source
// Application is one such pipeline per source it renders, all into its one
// destination: a declared pipeline reads one source, and each of Argo CD's
// sources is rendered on its own anyway. Its ref sources lend values files.
#pragma once

#include <string>
#include <vector>

#include "argocd_stage.hpp"

namespace driftless::renderers {

struct ApplicationPipeline {
  DeclaredPipeline pipeline;
  long wave = 0;  ///< argocd.argoproj.io/sync-wave
  /// Folders of the parent's artifact whose files the declaration holds (values
  /// files read for a chart fetched later): the parent's render read them.
  std::vector<std::string> read_folders;
};

/// The pipelines `application` declares, one per source it renders; none after an error (in `out`).
std::vector<ApplicationPipeline> read_application(const KubeObject& application, const Artifact& artifact,
                                                    const ArgocdSettings& settings, std::vector<Diagnostic>& out);

}  // namespace driftless::renderers
