// Health of applied objects: rolled-out workloads, completed Jobs, bound
// PVCs, established CRDs, Ready conditions.
#pragma once

#include <driftless/context.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "client.hpp"

namespace driftless::kube {

/// Why `live` is not healthy yet, or nullopt when it is (or has no notion of health).
/// Sets `failed` when it will not get healthy by waiting (a failed Job, a stuck rollout).
std::optional<std::string> unhealthy_reason(const Value& live, bool& failed);

/// True for kinds whose health is checked even when unchanged.
bool has_rollout(const std::string& kind);

struct HealthTarget {
  std::string id;    ///< "Deployment/ns/name"
  std::string path;  ///< object path on the API server
};

/// Polls `targets` until all are healthy; the Error names the first one that
/// is not and why (timeout, failure, or cancellation), and `unhealthy` (when
/// given) receives that target.
Result<void> wait_healthy(Context& context, KubeClient& client, std::vector<HealthTarget> targets,
                          std::chrono::milliseconds timeout, std::size_t concurrency, HealthTarget* unhealthy = nullptr);

}  // namespace driftless::kube
