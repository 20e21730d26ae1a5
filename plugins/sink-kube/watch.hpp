// Drift watch: metadata-only watches on the collections of the last applied
// set; a managed object deleted, or no longer in sync (see ownership.hpp),
// is drift.
#pragma once

#include <driftless/plugin.hpp>

#include <functional>
#include <memory>

#include "client.hpp"
#include "reconcile.hpp"
#include "settings.hpp"

namespace driftless::kube {

/// The applied state now (nullptr before the first successful apply).
using AppliedStateSource = std::function<std::shared_ptr<const AppliedState>()>;

/// Watches until context.cancelled(), following the applied state as it
/// changes. Watches resume from the last resourceVersion after a dropped
/// connection (API server restart) and relist after 410 Gone. In report mode
/// drift is only logged.
Result<void> watch_drift(Context& context, KubeClient& client, const AppliedStateSource& state, DriftMode mode,
                         const DriftCallback& on_drift);

}  // namespace driftless::kube
