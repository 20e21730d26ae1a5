// The outcome of a release written where Flux writes it: the status
// subresource of the HelmRelease object, when the cluster serves the
// HelmRelease CRD and the object exists there (for instance left by Flux
// before the migration). driftless never creates HelmRelease objects: a
// running Flux would install the release a second time.
#pragma once

#include "driftless/plugin.hpp"
#include "release.hpp"
#include "release_objects.hpp"

namespace driftless::helmrelease {

/// What is written: Flux v2's Ready condition and history, or the Flux v1
/// helm-operator's releaseStatus and Released condition.
Value release_status(const Release& release, const StatusItem& item, const std::string& now);

/// Patches the HelmRelease's status; false when there is nothing to patch
/// (no CRD, no object, no discovery). Problems are logged, never fail the release.
bool write_release_status(ClusterView& cluster, const Release& release, const StatusItem& item, Logger& logger);

}  // namespace driftless::helmrelease
