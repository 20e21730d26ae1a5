// Hook objects: Argo CD hooks (argocd.argoproj.io/hook) and Helm hooks
// (helm.sh/hook, mapped to Argo CD's phases) run around a sync instead of
// being kept equal to Git. The renderers keep the hooks a sync runs and mark
// them (hooks::kHookMark, naming the phases) so the core lets a hook have a
// generateName; the kube sink runs them (docs/sink-kube.md#hooks-and-waves).
// What no sync runs (Skip, pre-delete, tests ...) is left out with a warning.
// Shared by the yaml, helm and kustomize stages.
#pragma once

#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::renderers {

/// Marks the hooks among objects[from...], leaves out the objects no sync
/// applies with a warning naming each, its file and line, and reports bad
/// hook annotations (a wave that is not a number, an unknown delete policy)
/// as errors. Returns how many objects were left out.
std::size_t mark_hooks(std::vector<KubeObject>& objects, std::vector<Diagnostic>& diagnostics, std::size_t from = 0);

}  // namespace driftless::renderers
