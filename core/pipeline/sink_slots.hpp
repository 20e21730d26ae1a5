// One sink instance per pipeline, kept for the engine's life, with the
// capabilities it has (driftless/capabilities.hpp) asked once when it is made:
// ClusterFacts before rendering, DriftWatch, Leases and FailureReports for the
// daemon (and one more sink for the replicas' Membership), TargetAccess for the after-apply work that runs on its target.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "driftless/after_apply.hpp"
#include "driftless/capabilities.hpp"
#include "driftless/plugin.hpp"
#include "pipeline/core_context.hpp"
#include "pipeline/expansion.hpp"

namespace driftless::core {

/// A pipeline's sink and what it can do.
struct SinkSlot {
  std::string type;
  std::unique_ptr<Sink> instance;
  /// The instance's capabilities, asked once; nullptr when it has none.
  ClusterFacts* facts = nullptr;
  DriftWatch* drift_watch = nullptr;
  Leases* leases = nullptr;
  Membership* membership = nullptr;
  FailureReports* failure_reports = nullptr;
  TargetAccess* target_access = nullptr;
  std::optional<ClusterInfo> cluster;  ///< the last ClusterFacts answer
  std::unique_ptr<CoreContext> watch;  ///< the context of a running DriftWatch::watch
};

/// What a pipeline's drift watch reports, from the sink's threads.
struct WatchEvents {
  /// The pipeline's target drifted (DriftEvents::drifted).
  std::function<void(const std::string& pipeline, const std::string& reason, bool healed)> drifted;
  /// The pipeline's target answers again (DriftEvents::answers_again).
  std::function<void(const std::string& pipeline)> answers_again;
};

class SinkSlots {
 public:
  SinkSlots(const PluginRegistry& registry, const ContextServices& services, std::chrono::seconds timeout)
      : registry_(registry), services_(services), timeout_(timeout) {}
  ~SinkSlots() { stop_watches(); }

  /// The slot of `pipeline`, making its sink on first use; nullptr (and an
  /// error in `problems`) when the sink cannot be made. Slots never move.
  SinkSlot* slot_for(const ExpandedPipeline& pipeline, std::vector<Diagnostic>& problems);
  /// The slot of `pipeline` when its sink was made already, or nullptr.
  SinkSlot* existing(const std::string& pipeline);

  /// ClusterFacts::cluster_info, when the sink has it: what renderers may use.
  const ClusterInfo* cluster_facts(const std::string& pipeline, SinkSlot& slot, std::vector<Diagnostic>& problems);
  /// Sink::sync; problems (a crash) go to `problems`.
  SinkReport sync(const std::string& pipeline, SinkSlot& slot, const SinkRequest& request,
                  std::vector<Diagnostic>& problems);
  /// Runs `work` in order on the sink's Target (TargetAccess), after a sync
  /// without errors; adds what it reports to `report`, stops at the first
  /// error. Its errors are also added to `errors` (for the failure report).
  void after_apply(const std::string& pipeline, SinkSlot& slot, const std::vector<std::shared_ptr<AfterApply>>& work,
                   SinkMode mode, SinkReport& report, std::vector<Diagnostic>& problems, std::vector<Diagnostic>& errors);
  /// FailureReports::report_failure, when the sink has it.
  void report_failure(const std::string& pipeline, SinkSlot& slot, const std::vector<Diagnostic>& errors);

  /// Starts the DriftWatch of `pipeline`'s slot unless it runs already or the sink has none.
  void start_watch(const std::string& pipeline, const WatchEvents& events);
  void stop_watch(const std::string& pipeline);
  /// Ends every watch; none start after this.
  void stop_watches();

  /// Leases::hold_lease; true when the sink has no Leases.
  Result<bool> hold_lease(const std::string& pipeline, SinkSlot& slot, const LeaseRequest& request);
  /// Leases::release_lease of the pipeline's slot, when it was made and has Leases.
  Result<void> release_lease(const std::string& pipeline, const LeaseRequest& request);
  /// Leases::release_lease of every slot that has Leases.
  void release_leases(const LeaseRequest& request);

  /// Membership::members of the sink `block` describes (highAvailability.membership),
  /// made on first use and kept apart from the pipelines' sinks.
  Result<std::vector<std::string>> members(const PluginBlock& block, const LeaseRequest& request);
  /// Membership::leave of that sink, when it was made.
  void leave(const LeaseRequest& request);

  /// Ends the pipeline's watch and forgets its sink (the pipeline is gone).
  void drop(const std::string& pipeline);

 private:
  /// DriftWatch::unwatch of a slot whose watch runs (mutex_ held).
  void end_watch(SinkSlot& slot);
  /// Makes `block`'s sink into `slot` with the capabilities it has; false (and an error in `problems`) when it cannot.
  bool make(SinkSlot& slot, const PluginBlock& block, const Value& config, std::vector<Diagnostic>& problems);

  const PluginRegistry& registry_;
  const ContextServices& services_;
  std::chrono::seconds timeout_;
  std::mutex mutex_;  ///< guards slots_ (slots never move) and their watches
  std::map<std::string, SinkSlot> slots_;  ///< by pipeline name
  bool closing_ = false;                   ///< no new watches (guarded by mutex_)
  std::mutex membership_mutex_;            ///< guards making membership_
  SinkSlot membership_;                    ///< highAvailability.membership's sink
};

}  // namespace driftless::core
