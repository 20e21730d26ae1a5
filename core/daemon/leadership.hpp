// Which pipelines this replica acts on when several `driftless run` replicas
// share targets: one lease per pipeline, kept by the pipeline's sink (the kube
// sink uses a coordination.k8s.io Lease), acquired and renewed on a timer.
// Mode standby: every replica tries every lease, so one acts on all. Mode
// shard: each replica also holds a member lease (highAvailability.membership),
// and tries only the leases of the pipelines that rendezvous hashing assigns
// to it among the live members; the pipeline leases still decide, so two
// replicas whose member views differ never both act on a pipeline.
// Without highAvailability every pipeline is ours and no lease is asked for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "daemon/metrics.hpp"
#include "pipeline/engine.hpp"

namespace driftless::core {

/// What `driftless status` shows about this replica.
struct ReplicaStatus {
  std::string identity;
  std::string mode;                  ///< "standby" or "shard"
  std::vector<std::string> members;  ///< mode shard: the live members this replica sees, sorted
  std::size_t leads = 0;             ///< pipelines this replica acts on
};

class Leadership {
 public:
  /// Called from the renewal thread when this replica starts or stops leading a pipeline.
  using ChangeHandler = std::function<void(const std::string& pipeline, bool leads)>;
  /// True while work of this replica on the pipeline is queued or running.
  using BusyCheck = std::function<bool(const std::string& pipeline)>;

  Leadership(Engine& engine, const HighAvailabilitySpec& spec, Metrics& metrics);
  ~Leadership();
  Leadership(const Leadership&) = delete;
  Leadership& operator=(const Leadership&) = delete;

  /// Starts renewing (a no-op without highAvailability); changes go to
  /// `on_change`. Mode shard releases the lease of a pipeline assigned to
  /// another member once `busy` says no work on it is left.
  void start(ChangeHandler on_change, BusyCheck busy);
  /// Stops renewing; with `release` gives the leases (and the member lease) up
  /// so another replica takes over at once (call only when no work of this
  /// replica is in flight).
  void stop(bool release);
  /// Renews now instead of at the next interval (new pipelines appeared).
  void wake();

  /// True when this replica may act on `pipeline` (always without highAvailability).
  bool leads(const std::string& pipeline) const;
  /// True once the pipeline's lease was asked for, or it is assigned to
  /// another member (always without highAvailability).
  bool decided(const std::string& pipeline) const;
  /// Why the pipeline's lease could not be asked for, "" when it could.
  std::string lease_error(const std::string& pipeline) const;
  /// The replica that acts on the pipeline as far as this one knows: its own
  /// identity while it leads; in mode shard else the member it is assigned to; "" when unknown.
  std::string replica_of(const std::string& pipeline) const;
  ReplicaStatus replica() const;
  bool enabled() const { return spec_.enabled; }

 private:
  struct Hold {
    /// Leading until then: the last successful renewal plus the lease duration,
    /// less one renew interval, so a lost lease is noticed before anyone else may take it.
    std::chrono::steady_clock::time_point until{};
    bool reported_leads = false;
    std::string last_error;  ///< logged once, not every round
    std::string assignee;    ///< mode shard: the member rendezvous hashing assigns it to
    bool held = false;       ///< mode shard: the lease may be ours (got it, not released since)
  };

  /// One pipeline's lease request of a round.
  struct Answer {
    std::chrono::steady_clock::time_point asked{};
    Result<bool> held = false;
  };

  void loop();
  void renew_all();
  /// Leases::hold_lease of each of `pipelines`, a few at a time.
  std::vector<Answer> ask_all(const std::vector<std::string>& pipelines);
  /// Mode shard: renews the member lease every renew interval, on a thread of its own.
  void membership_loop();
  /// Holds the member lease and updates live_ (kept when the membership sink fails); wakes the round when it changed.
  void renew_membership();
  /// Mode shard: gives up the leases of pipelines now assigned elsewhere, once no work on them is left.
  void release_reassigned(const std::vector<std::string>& pipelines);
  bool leads_locked(const Hold& hold) const { return std::chrono::steady_clock::now() < hold.until; }

  Engine& engine_;
  const HighAvailabilitySpec spec_;
  const LeaseRequest request_;
  Metrics& metrics_;
  ChangeHandler on_change_;
  BusyCheck busy_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::map<std::string, Hold> holds_;
  std::vector<std::string> live_;     ///< mode shard: the live members the membership sink last reported
  std::vector<std::string> members_;  ///< mode shard: the members the last round assigned over (shown in status)
  std::string members_error_;         ///< logged once, not every round
  std::thread thread_;
  std::thread membership_thread_;
};

/// The identity of this replica when the config names none: "<hostname>-<pid>".
std::string default_identity();

/// The member rendezvous (highest-random-weight) hashing assigns `pipeline`
/// to: the one whose hash with the pipeline's name is highest. A member that
/// leaves moves only its own pipelines, a member that joins takes only its
/// share; "" when there are no members.
std::string rendezvous_member(const std::string& pipeline, const std::vector<std::string>& members);

}  // namespace driftless::core
