#include "health.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

namespace driftless::kube {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr auto kProgressInterval = std::chrono::seconds(10);
constexpr auto kWatchedReread = std::chrono::seconds(15);  // a target a watch covers is read anyway, this often

std::int64_t int_at(const Value& v, std::initializer_list<std::string_view> path, std::int64_t fallback = 0) {
  const Value* x = v.at_path(path);
  return x && x->is_int() ? x->as_int() : fallback;
}

// The condition of `type`, or nullptr.
const Value* condition(const Value& live, const std::string& type) {
  const Value* conditions = live.at_path({"status", "conditions"});
  if (!conditions || !conditions->is_array()) return nullptr;
  for (const auto& c : conditions->as_array())
    if (c.string_or("type") == type) return &c;
  return nullptr;
}

bool condition_true(const Value& live, const std::string& type) {
  const Value* c = condition(live, type);
  return c && c->string_or("status") == "True";
}

std::string n_of(std::int64_t have, std::int64_t want, const char* what) {
  return std::to_string(have) + " of " + std::to_string(want) + " " + what;
}

}  // namespace

bool has_rollout(const std::string& kind) {
  return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "Job" ||
         kind == "PersistentVolumeClaim" || kind == "CustomResourceDefinition";
}

std::optional<std::string> unhealthy_reason(const Value& live, const std::string& kind, bool& failed) {
  failed = false;
  const std::int64_t generation = int_at(live, {"metadata", "generation"});
  const bool observed = int_at(live, {"status", "observedGeneration"}) >= generation;
  if (kind == "Deployment") {
    if (!observed) return "the controller has not seen generation " + std::to_string(generation) + " yet";
    if (const Value* p = condition(live, "Progressing"); p && p->string_or("reason") == "ProgressDeadlineExceeded") {
      failed = true;
      return "the rollout exceeded its progress deadline: " + p->string_or("message");
    }
    const std::int64_t want = int_at(live, {"spec", "replicas"}, 1);
    const std::int64_t updated = int_at(live, {"status", "updatedReplicas"});
    const std::int64_t total = int_at(live, {"status", "replicas"});
    const std::int64_t available = int_at(live, {"status", "availableReplicas"});
    if (updated < want) return n_of(updated, want, "replicas updated");
    if (total > updated) return std::to_string(total - updated) + " old replicas still running";
    if (available < updated) return n_of(available, updated, "updated replicas available");
    return std::nullopt;
  }
  if (kind == "StatefulSet") {
    if (!observed) return "the controller has not seen generation " + std::to_string(generation) + " yet";
    const std::int64_t want = int_at(live, {"spec", "replicas"}, 1);
    const std::int64_t ready = int_at(live, {"status", "readyReplicas"});
    const std::int64_t updated = int_at(live, {"status", "updatedReplicas"});
    if (ready < want) return n_of(ready, want, "replicas ready");
    if (live.at_path({"spec", "updateStrategy", "type"}) &&
        live.at_path({"spec", "updateStrategy", "type"})->as_string() == "OnDelete")
      return std::nullopt;
    if (updated < want) return n_of(updated, want, "replicas updated");
    return std::nullopt;
  }
  if (kind == "DaemonSet") {
    if (!observed) return "the controller has not seen generation " + std::to_string(generation) + " yet";
    const std::int64_t want = int_at(live, {"status", "desiredNumberScheduled"});
    const std::int64_t updated = int_at(live, {"status", "updatedNumberScheduled"});
    const std::int64_t available = int_at(live, {"status", "numberAvailable"});
    if (updated < want) return n_of(updated, want, "pods updated");
    if (available < want) return n_of(available, want, "pods available");
    return std::nullopt;
  }
  if (kind == "Job") {
    if (condition_true(live, "Failed")) {
      failed = true;
      return "the Job failed: " + condition(live, "Failed")->string_or("message");
    }
    if (!condition_true(live, "Complete")) return "not complete yet";
    return std::nullopt;
  }
  if (kind == "Pod") {  // a hook Pod runs to an end; a long-running Pod falls through to its Ready condition
    const Value* status = live.find("status");
    const std::string phase = status ? status->string_or("phase") : "";
    if (phase == "Succeeded") return std::nullopt;
    if (phase == "Failed") {
      failed = true;
      return "the Pod failed: " + status->string_or("message", status->string_or("reason", "phase Failed"));
    }
  }
  if (kind == "PersistentVolumeClaim") {
    const Value* phase = live.at_path({"status", "phase"});
    if (!phase || !phase->is_string() || phase->as_string() != "Bound")
      return "not bound (phase " + (phase && phase->is_string() ? phase->as_string() : std::string("unknown")) + ")";
    return std::nullopt;
  }
  if (kind == "CustomResourceDefinition") {
    if (!condition_true(live, "Established")) return "not established yet";
    return std::nullopt;
  }
  if (const Value* ready = condition(live, "Ready"); ready && ready->string_or("status") != "True") {
    std::string why = ready->string_or("message", ready->string_or("reason"));
    return "Ready is " + ready->string_or("status") + (why.empty() ? "" : ": " + why);
  }
  return std::nullopt;
}

std::string health_word(const Value& live, const std::string& kind) {
  bool failed = false;
  if (!unhealthy_reason(live, kind, failed)) return "ready";
  return failed ? "degraded" : "progressing";
}

bool watched_in_full(const std::string& kind) { return has_rollout(kind) && kind != "CustomResourceDefinition"; }

Observation Observation::of(const Value& live, const std::string& kind) {
  Observation observation;
  observation.generation = int_at(live, {"metadata", "generation"});
  observation.reason = unhealthy_reason(live, kind, observation.failed);
  return observation;
}

Result<void> wait_healthy(Context& context, KubeClient& client, std::vector<HealthTarget> targets,
                          std::chrono::milliseconds timeout, std::size_t concurrency, HealthTarget* unhealthy,
                          LiveStates* live) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last_progress = start;
  const std::size_t n = targets.size();
  std::vector<std::string> reason(n, "no state seen yet");  // the last known reason of each target
  std::vector<bool> watched(n, false);
  std::vector<Clock::time_point> read_at(n, start);  // when each is read (GET) next

  // The states the watches tell, newest only, until judged (under `mutex`).
  std::mutex mutex;
  std::condition_variable told_one;
  std::vector<std::optional<Observation>> told(n);
  std::map<std::string, std::size_t> index;
  std::vector<std::int64_t> generation(n);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < n; ++i) {
    generation[i] = targets[i].generation;
    if (!targets[i].key.empty() && index.emplace(targets[i].key, i).second) keys.push_back(targets[i].key);
  }
  std::unique_ptr<LiveStates::Interest> interest;  // last: ends before what its calls use
  if (live && !keys.empty()) {
    std::vector<bool> covered;
    std::vector<std::optional<Observation>> last;
    interest = live->observe(
        keys,
        [&](const std::string& key, const Observation& observation) {
          auto it = index.find(key);
          if (it == index.end() || observation.generation < generation[it->second]) return;
          std::lock_guard lock(mutex);
          told[it->second] = observation;
          told_one.notify_all();
        },
        covered, last);
    std::lock_guard lock(mutex);
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const std::size_t i = index[keys[k]];
      if (!covered[k]) continue;
      watched[i] = true;
      read_at[i] = start + kWatchedReread;
      // A state told since observe() returned is newer than the last one it saw.
      if (last[k] && last[k]->generation >= generation[i] && !told[i]) told[i] = last[k];
    }
  }

  std::vector<std::size_t> pending(n);
  for (std::size_t i = 0; i < n; ++i) pending[i] = i;
  std::vector<bool> healthy(n, false);
  std::size_t reads = 0;
  // Notes what one state says; an Error when the target will not get healthy.
  auto judge = [&](std::size_t i, std::optional<std::string> why, bool failed) -> Result<void> {
    if (!why) {
      healthy[i] = true;
      return {};
    }
    reason[i] = std::move(*why);
    if (!failed) return {};
    if (unhealthy) *unhealthy = targets[i];
    return fail(ErrorCode::invalid_input, targets[i].id + " is not healthy: " + reason[i]);
  };
  while (true) {
    const auto now = Clock::now();
    std::vector<std::size_t> due;
    for (std::size_t i : pending)
      if (read_at[i] <= now) due.push_back(i);
    if (!due.empty()) {
      std::vector<HttpRequest> requests;
      for (std::size_t i : due) requests.push_back(client.request("GET", targets[i].path));
      auto responses = client.send_all(std::move(requests), concurrency);
      reads += due.size();
      for (std::size_t d = 0; d < due.size(); ++d) {
        const std::size_t i = due[d];
        const auto& response = responses[d];
        read_at[i] = Clock::now() + (watched[i] ? Clock::duration(kWatchedReread) : Clock::duration(kPollInterval));
        std::optional<std::string> why;
        bool failed = false;
        if (!response.ok()) why = response.error().message;
        else if (response->status == 404) why = "it does not exist";
        else if (response->status != 200) why = api_message(*response);
        else if (auto parsed = parse_json(response->body); parsed.ok()) why = unhealthy_reason(*parsed, parsed->string_or("kind"), failed);
        else why = "unreadable answer: " + parsed.error().message;
        if (auto r = judge(i, std::move(why), failed); !r.ok()) return r;
      }
    }
    {
      std::vector<std::pair<std::size_t, Observation>> states;
      {
        std::lock_guard lock(mutex);
        for (std::size_t i : pending)
          if (told[i]) {
            states.emplace_back(i, std::move(*told[i]));
            told[i].reset();
          }
      }
      for (auto& [i, observation] : states)
        if (auto r = judge(i, std::move(observation.reason), observation.failed); !r.ok()) return r;
    }
    std::erase_if(pending, [&](std::size_t i) { return healthy[i]; });
    if (pending.empty()) {
      context.logger().info("healthy", {{"objects", std::to_string(n)},
                                        {"watched", std::to_string(std::count(watched.begin(), watched.end(), true))},
                                        {"reads", std::to_string(reads)},
                                        {"duration_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                           Clock::now() - start)
                                                                           .count())}});
      return {};
    }

    const std::string first_reason = targets[pending.front()].id + ": " + reason[pending.front()];
    if (unhealthy) *unhealthy = targets[pending.front()];
    const auto after = Clock::now();
    if (after - start > timeout)
      return fail(ErrorCode::timeout, "not healthy after " + std::to_string(timeout.count() / 1000) + " s: " + first_reason +
                                          (pending.size() > 1 ? " (and " + std::to_string(pending.size() - 1) + " more)" : ""));
    if (context.cancelled()) return fail(ErrorCode::cancelled, "stopped while waiting for health: " + first_reason);
    if (after - last_progress >= kProgressInterval) {
      context.logger().info("waiting for health", {{"waiting", std::to_string(pending.size())}, {"first", first_reason}});
      last_progress = after;
    }
    // Until a watch tells a state, the next read is due, or the next look at the clock and the context.
    auto wake = after + kPollInterval;
    for (std::size_t i : pending) wake = std::min(wake, read_at[i]);
    std::unique_lock lock(mutex);
    told_one.wait_until(lock, wake, [&] {
      return std::any_of(pending.begin(), pending.end(), [&](std::size_t i) { return told[i].has_value(); });
    });
  }
}

}  // namespace driftless::kube
