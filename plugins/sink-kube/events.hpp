// Kubernetes Events for failures, on the objects they are about, so that
// `kubectl describe` and `kubectl get events` show why driftless could not
// apply, prune or see an object healthy. Failures tied to no object (a render
// or fetch error) go on the pipeline's inventory ConfigMap. Repeats are
// folded: the same event within kRepeatWindow is skipped, later ones bump its
// count. See docs/sink-kube.md, "Events".
#pragma once

#include <driftless/context.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "client.hpp"
#include "inventory.hpp"

namespace driftless::kube {

/// Reasons of driftless's Events (all of type Warning).
inline constexpr const char* kApplyFailed = "ApplyFailed";
inline constexpr const char* kHealthCheckFailed = "HealthCheckFailed";
inline constexpr const char* kPruneRefused = "PruneRefused";
inline constexpr const char* kPruneFailed = "PruneFailed";
inline constexpr const char* kReconcileFailed = "ReconcileFailed";

/// The same event is not recorded again sooner than this.
inline constexpr auto kRepeatWindow = std::chrono::minutes(5);

/// A failure about one object of a pipeline.
struct ObjectFailure {
  InventoryEntry entry;
  std::string path;  ///< the object's path on the API server; "" when its kind is unknown
  std::string reason;
  std::string message;
};

class EventRecorder {
 public:
  /// Records `failure` on its object when that exists, else on the inventory
  /// ConfigMap when that exists, else nowhere. Errors are logged, not returned:
  /// an Event is a courtesy, never a reason for a sync to fail.
  void record(Context& context, KubeClient& client, const ObjectFailure& failure, const InventoryStore& inventory);
  /// Records a failure of the whole pipeline on its inventory ConfigMap (when it exists).
  void record_on_inventory(Context& context, KubeClient& client, const InventoryStore& inventory,
                           const std::string& reason, const std::string& message);

 private:
  struct Involved;
  /// False when `key` was recorded within kRepeatWindow; else remembers it now.
  bool claim(const std::string& key);
  void emit(Context& context, KubeClient& client, const Involved& involved, const std::string& reason,
            const std::string& message);

  std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> recent_;
};

}  // namespace driftless::kube
