// The labels that mark an object as driftless's and say which pipeline owns
// it: the kube sink puts both on every object it applies and finds its
// objects by them; Helm releases the helmrelease plugin installs carry the
// pipeline label. The core stamps nothing: `driftless render` and the dir
// sink show objects as the renderers made them.
#pragma once

namespace driftless::kube {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "driftless";
inline constexpr const char* kPipelineLabel = "driftless.dev/pipeline";

}  // namespace driftless::kube
