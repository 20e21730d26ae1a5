// An Argo CD ApplicationSet as the Applications it generates: the parameter
// sets of its generators (argocd_generators.hpp) laid into spec.template
// (argocd_parameters.hpp). Each generated Application is then read like one
// written in the repository.
#pragma once

#include <vector>

#include "argocd_stage.hpp"
#include "driftless/artifact.hpp"
#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::renderers {

/// The Applications `set` generates (empty after an error, reported in
/// `out` against the ApplicationSet). `artifact` is the parent's snapshot,
/// which the git generator reads; `clusters`, what the clusters generator lists.
std::vector<KubeObject> generate_applications(const KubeObject& set, const Artifact& artifact,
                                              const std::vector<ArgocdCluster>& clusters, std::vector<Diagnostic>& out);

}  // namespace driftless::renderers
