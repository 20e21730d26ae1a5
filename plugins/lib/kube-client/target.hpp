// The "kubernetes" Target (driftless/capabilities.hpp): how the kube sink
// hands its cluster and identity to after-apply work, and how that work reads
// it back. Both sides use these two functions, so the form is defined once.
#pragma once

#include <driftless/capabilities.hpp>

#include "cluster.hpp"

namespace driftless::kube {

/// Target::kind of a Kubernetes cluster.
inline constexpr const char* kTargetKind = "kubernetes";

/// The Target of a sink that reaches its cluster with `settings`.
Target target_of(const ClusterSettings& settings);

/// The settings a Target of kind "kubernetes" carries; an error for another kind or a malformed one.
Result<ClusterSettings> settings_of(const Target& target);

}  // namespace driftless::kube
