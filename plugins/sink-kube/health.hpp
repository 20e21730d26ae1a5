// Health of applied objects: rolled-out workloads, completed Jobs, bound
// PVCs, established CRDs, Ready conditions.
#pragma once

#include <driftless/context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client.hpp"

namespace driftless::kube {

/// Why `live`, an object of `kind`, is not healthy yet, or nullopt when it is
/// (or has no notion of health). Sets `failed` when it will not get healthy by
/// waiting (a failed Job, a stuck rollout). The items of a list carry no kind:
/// whoever lists knows it.
std::optional<std::string> unhealthy_reason(const Value& live, const std::string& kind, bool& failed);

/// The health of `live`, an object of `kind` read in full, in one word (as
/// ObjectChange::health): "ready", "progressing" or "degraded" (it will not
/// get healthy by waiting).
std::string health_word(const Value& live, const std::string& kind);

/// True for kinds whose health is checked even when unchanged.
bool has_rollout(const std::string& kind);

/// True for the kinds with a rollout whose drift watch reads whole objects
/// (not metadata only), so that waiting for their health reads the watch's
/// events instead of polling: workloads and claims, small objects. Not CRDs,
/// whose schemas can be megabytes: they are polled.
bool watched_in_full(const std::string& kind);

/// What one state of an object says about its health.
struct Observation {
  std::int64_t generation = 0;        ///< metadata.generation of that state (0: none)
  std::optional<std::string> reason;  ///< why it is not healthy; nullopt: healthy
  bool failed = false;                ///< it will not get healthy by waiting

  static Observation of(const Value& live, const std::string& kind);
};

struct HealthTarget {
  std::string id;    ///< "Deployment/ns/name"
  std::string path;  ///< object path on the API server
  std::string key;   ///< InventoryEntry::key(), for a LiveStates to tell its states; "" = polled
  /// The generation the sync's apply made (0: not applied, or unknown): a
  /// state a watch tells of an older one predates the apply and is not taken.
  std::int64_t generation = 0;
};

/// The states of objects that watches of the cluster see (DriftWatcher),
/// which waiting for health reads instead of polling.
class LiveStates {
 public:
  using OnObserved = std::function<void(const std::string& key, const Observation&)>;
  class Interest {
   public:
    virtual ~Interest() = default;
  };

  virtual ~LiveStates() = default;
  /// Calls `on_observed` with every state of the objects `keys` the watches
  /// see, until the returned Interest is destroyed (on a watch's thread, under
  /// the LiveStates' lock: it must not call back into it). Sets `covered[i]` when a watch
  /// of whole objects covers `keys[i]`, and `last[i]` to the last state it saw
  /// (taken together with the start of the calls: none is missed between).
  virtual std::unique_ptr<Interest> observe(const std::vector<std::string>& keys, OnObserved on_observed,
                                            std::vector<bool>& covered, std::vector<std::optional<Observation>>& last) = 0;
};

/// Waits until `targets` are all healthy; the Error names the first one that
/// is not and why (timeout, failure, or cancellation), and `unhealthy` (when
/// given) receives that target. Targets a watch of `live` covers are judged
/// by the states it tells (read again every 15 s in case a watch fell
/// behind); the others are polled every 0.5 s. Logs "healthy" with the
/// reads it made when all are.
Result<void> wait_healthy(Context& context, KubeClient& client, std::vector<HealthTarget> targets,
                          std::chrono::milliseconds timeout, std::size_t concurrency, HealthTarget* unhealthy = nullptr,
                          LiveStates* live = nullptr);

}  // namespace driftless::kube
