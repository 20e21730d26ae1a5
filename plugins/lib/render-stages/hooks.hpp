// Hook objects: Helm hooks (annotation helm.sh/hook) and Argo CD hooks
// (argocd.argoproj.io/hook) are Jobs, Pods ... meant to run once around an
// install or a sync, not to be kept equal to Git. driftless runs no hooks:
// applying one as a plain object on every reconcile would re-run (or fail to
// update) it each time, so every renderer leaves them out, with a warning that
// names each one. Shared by the yaml stage and the helm stage.
#pragma once

#include <string>
#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::renderers {

/// "helm.sh/hook: pre-install" when `object` is a hook, "" otherwise.
std::string hook_annotation(const KubeObject& object);

/// Removes the hooks among objects[from...] and adds one warning per hook,
/// naming it, its file and line, and saying it is not applied. Returns how
/// many were removed.
std::size_t skip_hooks(std::vector<KubeObject>& objects, std::vector<Diagnostic>& diagnostics, std::size_t from = 0);

}  // namespace driftless::renderers
