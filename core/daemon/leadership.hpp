// Which pipelines this replica acts on when several `driftless run` replicas
// share targets: one lease per pipeline, kept by the pipeline's sink (the kube
// sink uses a coordination.k8s.io Lease), acquired and renewed on a timer.
// Without highAvailability every pipeline is ours and no lease is asked for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "daemon/metrics.hpp"
#include "pipeline/engine.hpp"

namespace driftless::core {

class Leadership {
 public:
  /// Called from the renewal thread when this replica starts or stops leading a pipeline.
  using ChangeHandler = std::function<void(const std::string& pipeline, bool leads)>;

  Leadership(Engine& engine, const HighAvailabilitySpec& spec, Metrics& metrics);
  ~Leadership();
  Leadership(const Leadership&) = delete;
  Leadership& operator=(const Leadership&) = delete;

  /// Starts renewing (a no-op without highAvailability); changes go to `on_change`.
  void start(ChangeHandler on_change);
  /// Stops renewing; with `release` gives the leases up so another replica
  /// takes over at once (call only when no work of this replica is in flight).
  void stop(bool release);
  /// Renews now instead of at the next interval (new pipelines appeared).
  void wake();

  /// True when this replica may act on `pipeline` (always without highAvailability).
  bool leads(const std::string& pipeline) const;
  /// True once the pipeline's lease was asked for (always without highAvailability).
  bool decided(const std::string& pipeline) const;
  /// Why the pipeline's lease could not be asked for, "" when it could.
  std::string lease_error(const std::string& pipeline) const;
  bool enabled() const { return spec_.enabled; }

 private:
  struct Hold {
    /// Leading until then: the last successful renewal plus the lease duration,
    /// less one renew interval, so a lost lease is noticed before anyone else may take it.
    std::chrono::steady_clock::time_point until{};
    bool reported_leads = false;
    std::string last_error;  ///< logged once, not every round
  };

  void loop();
  void renew_all();
  bool leads_locked(const Hold& hold) const { return std::chrono::steady_clock::now() < hold.until; }

  Engine& engine_;
  const HighAvailabilitySpec spec_;
  const LeaseRequest request_;
  Metrics& metrics_;
  ChangeHandler on_change_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::map<std::string, Hold> holds_;
  std::thread thread_;
};

/// The identity of this replica when the config names none: "<hostname>-<pid>".
std::string default_identity();

}  // namespace driftless::core
