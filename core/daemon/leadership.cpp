#include "daemon/leadership.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "log/logging.hpp"

namespace driftless::core {
namespace {

// FNV-1a over "member\0pipeline", mixed by the splitmix64 finalizer: the same
// number on every replica and every build (std::hash promises neither).
std::uint64_t weight(const std::string& member, const std::string& pipeline) {
  std::uint64_t h = 14695981039346656037ull;
  auto add = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (char c : member) add(static_cast<unsigned char>(c));
  add(0);
  for (char c : pipeline) add(static_cast<unsigned char>(c));
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

// Lease requests of one round in flight at once.
constexpr std::size_t kAskers = 8;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

std::string default_identity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

std::string rendezvous_member(const std::string& pipeline, const std::vector<std::string>& members) {
  std::string best;
  std::uint64_t best_weight = 0;
  for (const auto& member : members) {
    const std::uint64_t w = weight(member, pipeline);
    // Ties (astronomically rare) go to the smaller name, so every replica agrees.
    if (best.empty() || w > best_weight || (w == best_weight && member < best)) {
      best = member;
      best_weight = w;
    }
  }
  return best;
}

Leadership::Leadership(Engine& engine, const HighAvailabilitySpec& spec, Metrics& metrics)
    : engine_(engine),
      spec_(spec),
      request_{spec.identity.empty() ? default_identity() : spec.identity, spec.lease_duration},
      metrics_(metrics) {}

Leadership::~Leadership() { stop(false); }

void Leadership::start(ChangeHandler on_change, BusyCheck busy) {
  if (!spec_.enabled || thread_.joinable()) return;
  on_change_ = std::move(on_change);
  busy_ = std::move(busy);
  process_logger().info(spec_.mode == HaMode::shard
                            ? "high availability (shard): acting only on pipelines assigned to this replica whose lease it holds"
                            : "high availability: acting only on pipelines whose lease this replica holds",
                        {{"identity", request_.holder},
                         {"lease_duration_ms", std::to_string(spec_.lease_duration.count())},
                         {"renew_interval_ms", std::to_string(spec_.renew_interval.count())}});
  // Its own thread: a round over many pipelines may take long, and must not let the member lease lapse.
  if (spec_.mode == HaMode::shard) membership_thread_ = std::thread([this] { membership_loop(); });
  thread_ = std::thread([this] { loop(); });
}

void Leadership::stop(bool release) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (membership_thread_.joinable()) membership_thread_.join();
  if (!release || !spec_.enabled) return;
  engine_.release_leases(request_);
  if (spec_.mode == HaMode::shard) engine_.leave(request_);
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

std::string Leadership::replica_of(const std::string& pipeline) const {
  if (!spec_.enabled) return "";
  std::lock_guard lock(mutex_);
  auto it = holds_.find(pipeline);
  if (it == holds_.end()) return "";
  return leads_locked(it->second) ? request_.holder : it->second.assignee;
}

ReplicaStatus Leadership::replica() const {
  ReplicaStatus out{request_.holder, spec_.mode == HaMode::shard ? "shard" : "standby", {}, 0};
  std::lock_guard lock(mutex_);
  out.members = members_;
  for (const auto& [name, hold] : holds_) out.leads += leads_locked(hold);
  return out;
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

void Leadership::membership_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    renew_membership();
    lock.lock();
    wake_.wait_for(lock, spec_.renew_interval, [this] { return stopping_; });
  }
}

void Leadership::renew_membership() {
  Result<std::vector<std::string>> members = engine_.members(request_);
  {
    std::lock_guard lock(mutex_);
    if (!members.ok()) {
      // Keep the last view: the pipeline leases keep two replicas from acting on one pipeline meanwhile.
      if (members.error().message != members_error_)
        process_logger().warn("member lease not renewed; keeping the last view of the replicas",
                              {{"error", members.error().message}, {"members", joined(live_)}});
      members_error_ = members.error().message;
      return;
    }
    std::vector<std::string> live = std::move(*members);
    if (!std::binary_search(live.begin(), live.end(), request_.holder)) {
      live.push_back(request_.holder);  // just renewed: a sink that did not list it has a lagging view
      std::sort(live.begin(), live.end());
    }
    const bool changed = live != live_;
    if (changed || !members_error_.empty())
      process_logger().info("replicas", {{"identity", request_.holder}, {"members", joined(live)},
                                         {"count", std::to_string(live.size())}});
    members_error_.clear();
    if (!changed) return;
    live_ = std::move(live);
    woken_ = true;  // reassign now, not at the next round
  }
  wake_.notify_all();
}

void Leadership::renew_all() {
  Logger& log = process_logger();
  const bool shard = spec_.mode == HaMode::shard;
  std::vector<std::string> members;
  if (shard) {
    std::lock_guard lock(mutex_);
    members = live_;
  }
  if (shard && members.empty()) return;  // no view of the replicas yet: act on nothing, decide nothing
  std::map<std::string, Hold> next;
  std::vector<std::string> asking;      // pipelines whose lease this replica asks for this round
  std::vector<std::string> reassigned;  // assigned elsewhere while our lease may still stand
  const std::vector<PipelineTarget> targets = engine_.targets();
  {
    std::lock_guard lock(mutex_);
    for (const auto& target : targets) {
      Hold& hold = next[target.name];
      if (auto it = holds_.find(target.name); it != holds_.end()) hold = it->second;
      if (shard) hold.assignee = rendezvous_member(target.name, members);
      if (!shard || hold.assignee == request_.holder) {
        asking.push_back(target.name);
        continue;
      }
      hold.until = {};  // another member's: stop acting now, release once the work in flight is done
      hold.last_error.clear();
      if (hold.held) reassigned.push_back(target.name);
    }
  }
  const std::vector<Answer> answers = ask_all(asking);
  for (std::size_t i = 0; i < asking.size(); ++i) {
    Hold& hold = next[asking[i]];
    const Result<bool>& held = answers[i].held;
    if (held.ok()) {
      hold.until = *held ? answers[i].asked + spec_.lease_duration - spec_.renew_interval : std::chrono::steady_clock::time_point{};
      hold.held = *held;
      hold.last_error.clear();
    } else if (held.error().message != hold.last_error) {
      // The lease runs out by itself (`until` stays); another replica may then take over.
      hold.last_error = held.error().message;
      log.warn("lease not renewed; retrying", {{"pipeline", asking[i]}, {"error", hold.last_error}});
    }
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
  }
  struct Change {
    std::string pipeline;
    bool leads;
    bool logged;  ///< mode shard names only what this replica gains or loses, not every other member's pipeline
  };
  std::vector<Change> changes;
  std::size_t leading = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, hold] : next) {
      const bool leads = leads_locked(hold);
      leading += leads;
      metrics_.set("driftless_pipeline_leader", {{"pipeline", name}}, leads ? 1 : 0);
      if (leads != hold.reported_leads || !holds_.count(name))
        changes.push_back({name, leads, !shard || leads || hold.reported_leads});
      hold.reported_leads = leads;
    }
    holds_ = std::move(next);
    if (shard) members_ = members;
  }
  if (shard) metrics_.set("driftless_replica_members", {{"replica", request_.holder}}, static_cast<double>(members.size()));
  metrics_.set("driftless_replica_pipelines", {{"replica", request_.holder}}, static_cast<double>(leading));
  for (const auto& change : changes) {
    if (change.leads)
      log.info("this replica now acts on the pipeline", {{"pipeline", change.pipeline}, {"identity", request_.holder}});
    else if (change.logged)
      log.info("another replica acts on the pipeline; standing by", {{"pipeline", change.pipeline}, {"identity", request_.holder}});
    if (on_change_) on_change_(change.pipeline, change.leads);
  }
  release_reassigned(reassigned);
}

std::vector<Leadership::Answer> Leadership::ask_all(const std::vector<std::string>& pipelines) {
  // One request after another, a round over a thousand pipelines would outlast
  // the lease; a few at a time keep it well inside.
  std::vector<Answer> answers(pipelines.size());
  std::atomic<std::size_t> next{0};
  auto asker = [&] {
    for (std::size_t i = next++; i < pipelines.size(); i = next++) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;  // the answers left are not used
      }
      answers[i].asked = std::chrono::steady_clock::now();
      answers[i].held = engine_.hold_lease(pipelines[i], request_);
    }
  };
  std::vector<std::thread> askers;
  for (std::size_t n = 1; n < std::min(kAskers, pipelines.size()); ++n) askers.emplace_back(asker);
  asker();
  for (auto& t : askers) t.join();
  return answers;
}

void Leadership::release_reassigned(const std::vector<std::string>& pipelines) {
  for (const auto& name : pipelines) {
    // leads() is false already, so no new work starts; work in flight keeps the lease renewed until it ends.
    if (busy_ && busy_(name)) {
      (void)engine_.hold_lease(name, request_);  // a failed renewal lets the lease expire, as in any other case
      continue;
    }
    Result<void> released = engine_.release_lease(name, request_);
    if (!released.ok()) {
      process_logger().warn("lease not released; trying again", {{"pipeline", name}, {"error", released.error().message}});
      continue;
    }
    process_logger().info("pipeline assigned to another replica; lease released", {{"pipeline", name}});
    std::lock_guard lock(mutex_);
    if (auto it = holds_.find(name); it != holds_.end()) it->second.held = false;
  }
}

}  // namespace driftless::core
