// Optional interfaces a sink implements besides sync(). The core asks a sink
// for each with capability_of<T>(sink) (plugin.hpp) and uses only what it
// gets, so "not supported" (nullptr) is never mistaken for "did nothing".
// Each interface's kId names its version: a changed capability gets a new id,
// so adding one never changes Sink itself, nor any renderer or source.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/context.hpp"
#include "driftless/diagnostic.hpp"
#include "driftless/result.hpp"
#include "driftless/value.hpp"

namespace driftless {

/// Facts about the target (version, API list) that renderers see through
/// Context::cluster_info(), e.g. for Helm's --kube-version.
class ClusterFacts {
 public:
  static constexpr std::string_view kId = "driftless.cluster-facts/1";
  virtual ~ClusterFacts();
  /// Called before a pipeline renders for diff or apply; nullopt when the
  /// target cannot say now (the sink logs why).
  virtual std::optional<ClusterInfo> cluster_info(Context& context) = 0;
};

/// What a DriftWatch reports, from any thread.
struct DriftEvents {
  /// Drift from what the last successful apply made, with a short reason
  /// ("Deployment/web/api was deleted"). `healed`: the sink already made the
  /// target equal again (the core counts and logs it, nothing more); false:
  /// the core runs the pipeline's reconcile at once instead of waiting for
  /// the interval.
  std::function<void(const std::string& reason, bool healed)> drifted;
  /// The target answers again after it could not (a watch re-established):
  /// the core retries at once a pipeline whose last reconcile failed and
  /// waits in backoff. No drift is counted.
  std::function<void()> answers_again;
};

/// Watches the target for drift.
class DriftWatch {
 public:
  static constexpr std::string_view kId = "driftless.drift-watch/1";
  virtual ~DriftWatch();
  /// Starts watching and returns: until unwatch() returns, the sink calls
  /// `events` each time it finds some. `context` stays valid until unwatch()
  /// returns. An Error means nothing is watched (the core logs it and tries
  /// again before the pipeline's next reconcile). Runs concurrently with
  /// sync(); a thousand pipelines must not cost a thousand threads, so share
  /// watches inside the plugin.
  virtual Result<void> watch(Context& context, DriftEvents events) = 0;
  /// Stops what watch() started: once it returns, no event runs or comes again.
  virtual void unwatch() = 0;
};

/// A replica's claim to act on a pipeline, when several `driftless run`
/// replicas share the same targets (high availability).
struct LeaseRequest {
  /// This replica's identity, unique among the replicas ("host-1234").
  std::string holder;
  /// Another replica may take the lease over once it was not renewed for this long.
  std::chrono::milliseconds duration{15'000};
};

/// Coordination between replicas through the target. Without it a pipeline
/// is acted on by every replica that runs it.
class Leases {
 public:
  static constexpr std::string_view kId = "driftless.leases/1";
  virtual ~Leases();
  /// Acquires or renews the lease of the pipeline context.pipeline() for
  /// `request.holder`: true when it holds the lease now, false when another
  /// holder's lease is still valid. Two holders never both get true for one
  /// lease. Called every renew interval, concurrently with sync().
  virtual Result<bool> hold_lease(Context& context, const LeaseRequest& request) = 0;
  /// Gives up the lease if `request.holder` holds it, so another replica takes over at once.
  virtual Result<void> release_lease(Context& context, const LeaseRequest& request) = 0;
};

/// Which replicas are alive, when `driftless run` replicas share the pipelines
/// among themselves (highAvailability mode `shard`): each replica holds a
/// member lease of its own, and the core assigns the pipelines over the live ones.
class Membership {
 public:
  static constexpr std::string_view kId = "driftless.membership/1";
  virtual ~Membership();
  /// Acquires or renews the member lease of `request.holder` and returns the
  /// holders of every member lease that has not expired (renewed less than its
  /// duration ago), `request.holder` among them, sorted. Called every renew
  /// interval, concurrently with sync().
  virtual Result<std::vector<std::string>> members(Context& context, const LeaseRequest& request) = 0;
  /// Gives up the member lease of `request.holder`, so the others stop
  /// counting this replica at once instead of when its lease expires.
  virtual Result<void> leave(Context& context, const LeaseRequest& request) = 0;
};

/// Records failures where the target's users look (the kube sink: Events).
class FailureReports {
 public:
  static constexpr std::string_view kId = "driftless.failure-reports/1";
  virtual ~FailureReports();
  /// An apply of the pipeline failed before or after the sink's own sync (the
  /// source could not be fetched, a renderer failed, objects were invalid,
  /// after-apply work failed): `errors` are those diagnostics. Must not throw.
  virtual void report_failure(Context& context, const std::vector<Diagnostic>& errors) = 0;
};

/// Where a sink's objects go and how the sink reaches it: what after-apply
/// work gets to act on the same target with the same identity.
struct Target {
  /// The kind of target ("kubernetes"), as SinkFactory::target_kind().
  std::string kind;
  /// How to connect, in the form that kind's shared client library reads
  /// (for "kubernetes": kubeconfig, context, impersonate, requestTimeout, see
  /// plugins/lib/kube-client/target.hpp). Names and paths only, never a
  /// credential, so it may be logged.
  Value access;
};

/// Hands after-apply work the sink's target and identity.
class TargetAccess {
 public:
  static constexpr std::string_view kId = "driftless.target-access/1";
  virtual ~TargetAccess();
  /// The target of the pipeline context.pipeline().
  virtual Target target(Context& context) = 0;
};

}  // namespace driftless
