// Drift watches shared by the kube sinks of one Cluster: one metadata-only
// watch per resource type across all namespaces (driftless's label selector),
// or one per namespace for an identity that may not watch cluster-wide (a
// tenant). An event about a managed object goes to the sink that applied it;
// a thousand pipelines of four kinds cost four watches, not four thousand.
// The kinds with a rollout (watched_in_full: Deployments, Jobs, ...) are
// watched as whole objects, and their health is told to syncs waiting for it
// (LiveStates), which then do not poll.
#pragma once

#include <driftless/context.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster.hpp"
#include "health.hpp"
#include "reconcile.hpp"

namespace driftless::kube {

/// Called on a watch thread with a drifted object of the subscriber's state,
/// the live object (nullptr: deleted) and why.
using OnDrift = std::function<void(const std::shared_ptr<const AppliedState>&, const AppliedObject&, const Value* live,
                                   const std::string&)>;

class DriftWatcher : public LiveStates {
 public:
  /// One sink's interest: the objects of its last applied state.
  class Subscriber;

  /// The watcher of `cluster`, shared by every sink using it.
  static std::shared_ptr<DriftWatcher> of(const std::shared_ptr<Cluster>& cluster);

  explicit DriftWatcher(std::shared_ptr<Cluster> cluster);
  ~DriftWatcher();

  /// Starts reporting drift of the objects given to follow(), and calls
  /// `on_answer` when a watch of the cluster finds it answering again after it
  /// could not. `logger` must stay valid until unsubscribe(); the watches' own
  /// messages go to it too.
  std::shared_ptr<Subscriber> subscribe(Logger& logger, OnDrift on_drift, std::function<void()> on_answer);
  /// Watches the objects of `state` from now on (nullptr: none).
  void follow(const std::shared_ptr<Subscriber>& subscriber, std::shared_ptr<const AppliedState> state);
  /// Stops; once it returns, `on_drift` and `on_answer` of the subscriber is not running and will not be called.
  void unsubscribe(const std::shared_ptr<Subscriber>& subscriber);

  /// The states of objects of the kinds watched in full (LiveStates): what
  /// the watches saw last of each, and each new one as it comes.
  std::unique_ptr<Interest> observe(const std::vector<std::string>& keys, OnObserved on_observed, std::vector<bool>& covered,
                                    std::vector<std::optional<Observation>>& last) override;

 private:
  class Watch;
  friend class Watch;

  // What a watch thread does with an object it saw, or learned was deleted
  // (live == nullptr). `seen_at`: follows_ when the request that saw it was
  // sent; a subscriber that followed a newer state since reads the object again.
  void dispatch(const std::string& key, const Value* live, const std::string& reason,
                std::uint64_t seen_at = UINT64_MAX);
  // A watch got an answer from the cluster after it could not: tells every subscriber.
  void answers_again();
  // After a (re)list of `watch`: objects it should have shown but did not are
  // missing, and what it saw of them before is forgotten.
  void report_missing(const Watch& watch, const std::set<std::string>& seen, std::uint64_t listed_at);
  // The object at `path` as the cluster has it now (a null Value: gone); nullopt when it could not say.
  std::optional<Value> read_again(const std::string& path);
  // A watch of whole objects saw `live` of `key`, an object of `kind` (nullptr:
  // deleted): remembered, and told to who observes it.
  void observed(const std::string& key, const std::string& kind, const Value* live);
  // Forgets the states of the objects under `prefix` ("group|Kind|" or "group|Kind|namespace|"; under mutex_).
  void forget_observed(const std::string& prefix);
  // The identity may not watch `kind_key` ("group|Kind") across namespaces: watch per namespace instead.
  void deny_cluster_wide(const std::string& kind_key);
  void log(LogLevel level, std::string_view message, const LogFields& fields);

  // A collection to watch: a type in one namespace, or across all ("").
  struct Collection {
    ResourceType type;
    std::string namespace_name;
  };
  // The collections the objects of `state` are in, by path (under mutex_).
  std::map<std::string, Collection> collections_of(const AppliedState* state) const;
  // Moves `subscriber` to the watches `state` needs: starts the missing ones,
  // retires those nobody uses any more (under mutex_).
  void rewatch(Subscriber& subscriber, const AppliedState* state);
  // Joins retired watches; called without mutex_.
  void reap();

  std::shared_ptr<Cluster> cluster_;
  std::atomic<std::uint64_t> follows_{0};  // counts follow() calls that changed a subscriber's state
  std::mutex mutex_;
  std::set<std::shared_ptr<Subscriber>> subscribers_;
  std::map<std::string, std::shared_ptr<Subscriber>> by_object_;  // InventoryEntry::key() -> who applied it
  std::map<std::string, std::unique_ptr<Watch>> watches_;        // by collection path
  std::set<std::string> namespaced_only_;                        // "group|Kind" not watchable cluster-wide
  std::vector<std::unique_ptr<Watch>> retired_;
  class Observer;
  std::map<std::string, Observation> observed_;            // the last state of each object watched in full
  std::multimap<std::string, const Observer*> observers_;  // InventoryEntry::key() -> who waits for its states
};

}  // namespace driftless::kube
