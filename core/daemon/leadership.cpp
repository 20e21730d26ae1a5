#include "daemon/leadership.hpp"

#include <unistd.h>

#include "log/logging.hpp"

namespace driftless::core {

std::string default_identity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

Leadership::Leadership(Engine& engine, const HighAvailabilitySpec& spec, Metrics& metrics)
    : engine_(engine),
      spec_(spec),
      request_{spec.identity.empty() ? default_identity() : spec.identity, spec.lease_duration},
      metrics_(metrics) {}

Leadership::~Leadership() { stop(false); }

void Leadership::start(ChangeHandler on_change) {
  if (!spec_.enabled || thread_.joinable()) return;
  on_change_ = std::move(on_change);
  process_logger().info("high availability: acting only on pipelines whose lease this replica holds",
                        {{"identity", request_.holder},
                         {"lease_duration_ms", std::to_string(spec_.lease_duration.count())},
                         {"renew_interval_ms", std::to_string(spec_.renew_interval.count())}});
  thread_ = std::thread([this] { loop(); });
}

void Leadership::stop(bool release) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!release || !spec_.enabled) return;
  engine_.release_leases(request_);
  std::lock_guard lock(mutex_);
  holds_.clear();
  process_logger().info("leases released", {{"identity", request_.holder}});
}

void Leadership::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

bool Leadership::leads(const std::string& pipeline) const {
  if (!spec_.enabled) return true;
  std::lock_guard lock(mutex_);
  auto it = holds_.find(pipeline);
  return it != holds_.end() && leads_locked(it->second);
}

bool Leadership::decided(const std::string& pipeline) const {
  if (!spec_.enabled) return true;
  std::lock_guard lock(mutex_);
  return holds_.count(pipeline) > 0;
}

std::string Leadership::lease_error(const std::string& pipeline) const {
  std::lock_guard lock(mutex_);
  auto it = holds_.find(pipeline);
  return it == holds_.end() ? "" : it->second.last_error;
}

void Leadership::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    renew_all();
    lock.lock();
    wake_.wait_for(lock, spec_.renew_interval, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

void Leadership::renew_all() {
  Logger& log = process_logger();
  std::map<std::string, Hold> next;
  for (const auto& target : engine_.targets()) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (auto it = holds_.find(target.name); it != holds_.end()) next[target.name] = it->second;
    }
    Hold& hold = next[target.name];
    const auto asked = std::chrono::steady_clock::now();
    Result<bool> held = engine_.hold_lease(target.name, request_);
    if (held.ok()) {
      hold.until = *held ? asked + spec_.lease_duration - spec_.renew_interval : std::chrono::steady_clock::time_point{};
      hold.last_error.clear();
    } else if (held.error().message != hold.last_error) {
      // The lease runs out by itself (`until` stays); another replica may then take over.
      hold.last_error = held.error().message;
      log.warn("lease not renewed; retrying", {{"pipeline", target.name}, {"error", hold.last_error}});
    }
  }
  std::vector<std::pair<std::string, bool>> changes;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, hold] : next) {
      const bool leads = leads_locked(hold);
      metrics_.set("driftless_pipeline_leader", {{"pipeline", name}}, leads ? 1 : 0);
      if (leads != hold.reported_leads || !holds_.count(name)) changes.emplace_back(name, leads);
      hold.reported_leads = leads;
    }
    holds_ = std::move(next);
  }
  for (const auto& [name, leads] : changes) {
    if (leads) log.info("this replica now acts on the pipeline", {{"pipeline", name}, {"identity", request_.holder}});
    else log.info("another replica acts on the pipeline; standing by", {{"pipeline", name}, {"identity", request_.holder}});
    if (on_change_) on_change_(name, leads);
  }
}

}  // namespace driftless::core
