// Objects that tell a GitOps controller what to do: Flux's kinds (the
// *.toolkit.fluxcd.io groups and every other *.fluxcd.io one) and Argo CD's Application, ApplicationSet and
// AppProject. Applied by accident (a pipeline without the flux renderer), they
// would let a controller in the cluster act beside driftless, or do nothing
// where the user expects work; so the sink refuses them unless
// keepFluxObjects says otherwise. Renderers read them instead (flux, helmrelease).
#pragma once

#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::kube {

/// An error naming file, line and object for each control-plane object of `objects`.
std::vector<Diagnostic> refuse_control_plane_objects(const std::vector<KubeObject>& objects);

}  // namespace driftless::kube
