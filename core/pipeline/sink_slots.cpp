#include "pipeline/sink_slots.hpp"

#include "log/logging.hpp"
#include "pipeline/guarded.hpp"

namespace driftless::core {
namespace {

// What the membership sink's logs and contexts name in place of a pipeline.
constexpr const char* kMembershipContext = "highAvailability.membership";

}  // namespace

SinkSlot* SinkSlots::slot_for(const ExpandedPipeline& pipeline, std::vector<Diagnostic>& problems) {
  std::lock_guard lock(mutex_);
  SinkSlot& slot = slots_[pipeline.name];
  if (slot.instance) return &slot;
  if (make(slot, pipeline.spec->sink, sink_config_of(pipeline), problems)) return &slot;
  slots_.erase(pipeline.name);
  return nullptr;
}

bool SinkSlots::make(SinkSlot& slot, const PluginBlock& block, const Value& config, std::vector<Diagnostic>& problems) {
  auto created = registry_.sink(block.type)->create(config);
  if (!created.ok()) {
    problems.push_back(error_at(block.location, "sink '" + block.type + "': " + created.error().message));
    return false;
  }
  slot.type = block.type;
  slot.instance = std::move(*created);
  Sink& sink = *slot.instance;
  slot.facts = capability_of<ClusterFacts>(sink);
  slot.drift_watch = capability_of<DriftWatch>(sink);
  slot.leases = capability_of<Leases>(sink);
  slot.membership = capability_of<Membership>(sink);
  slot.failure_reports = capability_of<FailureReports>(sink);
  slot.target_access = capability_of<TargetAccess>(sink);
  return true;
}

SinkSlot* SinkSlots::existing(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(pipeline);
  return it != slots_.end() && it->second.instance ? &it->second : nullptr;
}

const ClusterInfo* SinkSlots::cluster_facts(const std::string& pipeline, SinkSlot& slot, std::vector<Diagnostic>& problems) {
  if (slot.facts) {
    CoreContext context(services_, pipeline, slot.type, timeout_);
    guarded([&] { slot.cluster = slot.facts->cluster_info(context); }, "sink '" + slot.type + "'", problems);
  }
  return slot.cluster ? &*slot.cluster : nullptr;
}

SinkReport SinkSlots::sync(const std::string& pipeline, SinkSlot& slot, const SinkRequest& request,
                           std::vector<Diagnostic>& problems) {
  CoreContext context(services_, pipeline, slot.type, timeout_);
  context.set_cluster_info(slot.cluster ? &*slot.cluster : nullptr);
  SinkReport report;
  guarded([&] { report = slot.instance->sync(context, request); }, "sink '" + slot.type + "'", problems);
  return report;
}

void SinkSlots::after_apply(const std::string& pipeline, SinkSlot& slot, const std::vector<std::shared_ptr<AfterApply>>& work,
                            SinkMode mode, SinkReport& report, std::vector<Diagnostic>& problems,
                            std::vector<Diagnostic>& errors) {
  if (work.empty()) return;
  // The config check makes this unreachable for the bundled plugins; a sink built elsewhere may still lack it.
  if (!slot.target_access) {
    problems.push_back({Severity::error, "sink '" + slot.type + "' gives after-apply work no target; " +
                                             std::to_string(work.size()) + " step(s) did not run",
                        {}, 0, {}});
    return;
  }
  auto ok = [&] { return !has_errors(problems) && !has_errors(report.diagnostics); };
  CoreContext sink_context(services_, pipeline, slot.type, timeout_);
  Target target;
  guarded([&] { target = slot.target_access->target(sink_context); }, "sink '" + slot.type + "' target", problems);
  if (!ok()) return;
  for (const auto& step : work) {
    CoreContext context(services_, pipeline, "after-apply", timeout_);
    context.set_cluster_info(slot.cluster ? &*slot.cluster : nullptr);
    SinkReport step_report;
    guarded([&] { step_report = step->run(context, target, mode); }, step->describe(), problems);
    for (auto& change : step_report.changes) report.changes.push_back(std::move(change));
    for (auto& d : step_report.diagnostics) {
      if (d.severity == Severity::error) errors.push_back(d);
      report.diagnostics.push_back(std::move(d));
    }
    for (auto& item : step_report.items) report.items.push_back(std::move(item));
    if (!ok()) break;  // later work may depend on this one
  }
}

void SinkSlots::report_failure(const std::string& pipeline, SinkSlot& slot, const std::vector<Diagnostic>& errors) {
  if (!slot.failure_reports) return;
  CoreContext context(services_, pipeline, slot.type, timeout_);
  std::vector<Diagnostic> crash;
  guarded([&] { slot.failure_reports->report_failure(context, errors); }, "sink '" + slot.type + "' failure report", crash);
  for (const auto& d : crash) context.logger().warn(d.message);
}

void SinkSlots::start_watch(const std::string& pipeline, const WatchEvents& events) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(pipeline);
  if (closing_ || it == slots_.end() || !it->second.drift_watch || it->second.watch) return;
  SinkSlot& slot = it->second;
  // A watch lasts until it is stopped, not until a deadline.
  auto context = std::make_unique<CoreContext>(services_, pipeline, slot.type, std::chrono::hours(24 * 365));
  Result<void> result;
  std::vector<Diagnostic> crash;
  guarded([&] {
    DriftEvents drift{[drifted = events.drifted, pipeline](const std::string& reason, bool healed) {
                        drifted(pipeline, reason, healed);
                      },
                      [answers_again = events.answers_again, pipeline] { answers_again(pipeline); }};
    result = slot.drift_watch->watch(*context, std::move(drift));
  }, "sink '" + slot.type + "' watch", crash);
  if (!crash.empty()) result = fail(ErrorCode::internal, crash.front().message);
  if (!result.ok()) {
    context->logger().warn("drift watch failed; trying again before the next reconcile", {{"error", result.error().message}});
    return;
  }
  slot.watch = std::move(context);
}

void SinkSlots::stop_watch(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(pipeline);
  if (it == slots_.end() || !it->second.watch) return;
  end_watch(it->second);
}

void SinkSlots::stop_watches() {
  std::lock_guard lock(mutex_);
  closing_ = true;
  for (auto& [name, slot] : slots_)
    if (slot.watch) end_watch(slot);
}

void SinkSlots::end_watch(SinkSlot& slot) {
  std::vector<Diagnostic> crash;
  guarded([&] { slot.drift_watch->unwatch(); }, "sink '" + slot.type + "' unwatch", crash);
  slot.watch.reset();
}

Result<bool> SinkSlots::hold_lease(const std::string& pipeline, SinkSlot& slot, const LeaseRequest& request) {
  if (!slot.leases) return true;
  CoreContext context(services_, pipeline, slot.type, request.duration);
  Result<bool> held = false;
  std::vector<Diagnostic> crash;
  guarded([&] { held = slot.leases->hold_lease(context, request); }, "sink '" + slot.type + "' lease", crash);
  if (!crash.empty()) return fail(ErrorCode::internal, crash.front().message);
  return held;
}

Result<void> SinkSlots::release_lease(const std::string& pipeline, const LeaseRequest& request) {
  SinkSlot* slot = existing(pipeline);
  if (!slot || !slot->leases) return {};
  CoreContext context(services_, pipeline, slot->type, request.duration);
  Result<void> released;
  std::vector<Diagnostic> crash;
  guarded([&] { released = slot->leases->release_lease(context, request); }, "sink '" + slot->type + "' lease", crash);
  if (!crash.empty()) return fail(ErrorCode::internal, crash.front().message);
  return released;
}

void SinkSlots::release_leases(const LeaseRequest& request) {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, slot] : slots_)
      if (slot.leases) names.push_back(name);
  }
  for (const auto& name : names)
    if (Result<void> released = release_lease(name, request); !released.ok())
      process_logger().warn("lease not released; another replica takes over once it expires",
                            {{"pipeline", name}, {"error", released.error().message}});
}

Result<std::vector<std::string>> SinkSlots::members(const PluginBlock& block, const LeaseRequest& request) {
  {
    std::lock_guard lock(membership_mutex_);
    std::vector<Diagnostic> problems;
    if (!membership_.instance && !make(membership_, block, block.config, problems))
      return fail(ErrorCode::invalid_input, problems.front().message);
  }
  if (!membership_.membership) return fail(ErrorCode::invalid_input, "sink '" + block.type + "' keeps no member leases");
  CoreContext context(services_, kMembershipContext, membership_.type, request.duration);
  Result<std::vector<std::string>> members = std::vector<std::string>();
  std::vector<Diagnostic> crash;
  guarded([&] { members = membership_.membership->members(context, request); }, "sink '" + membership_.type + "' membership", crash);
  if (!crash.empty()) return fail(ErrorCode::internal, crash.front().message);
  return members;
}

void SinkSlots::leave(const LeaseRequest& request) {
  {
    std::lock_guard lock(membership_mutex_);
    if (!membership_.membership) return;
  }
  CoreContext context(services_, kMembershipContext, membership_.type, request.duration);
  Result<void> left;
  std::vector<Diagnostic> crash;
  guarded([&] { left = membership_.membership->leave(context, request); }, "sink '" + membership_.type + "' membership", crash);
  if (!crash.empty() || !left.ok())
    context.logger().warn("member lease not given up; the others stop counting this replica once it expires",
                          {{"error", crash.empty() ? left.error().message : crash.front().message}});
}

void SinkSlots::drop(const std::string& pipeline) {
  stop_watch(pipeline);
  std::lock_guard lock(mutex_);
  slots_.erase(pipeline);
}

}  // namespace driftless::core
