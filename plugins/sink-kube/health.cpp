#include "health.hpp"

#include <thread>

namespace driftless::kube {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr auto kProgressInterval = std::chrono::seconds(10);

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

std::optional<std::string> unhealthy_reason(const Value& live, bool& failed) {
  failed = false;
  const std::string kind = live.string_or("kind");
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

Result<void> wait_healthy(Context& context, KubeClient& client, std::vector<HealthTarget> targets,
                          std::chrono::milliseconds timeout, std::size_t concurrency, HealthTarget* unhealthy) {
  const auto start = std::chrono::steady_clock::now();
  auto last_progress = start;
  while (!targets.empty()) {
    std::vector<HttpRequest> requests;
    for (const auto& t : targets) requests.push_back(client.request("GET", t.path));
    auto responses = client.send_all(std::move(requests), concurrency);
    std::vector<HealthTarget> waiting;
    std::string first_reason;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      std::string reason;
      bool failed = false;
      if (!responses[i].ok()) {
        reason = responses[i].error().message;
      } else if (responses[i]->status == 404) {
        reason = "it does not exist";
      } else if (responses[i]->status != 200) {
        reason = api_message(*responses[i]);
      } else if (auto live = parse_json(responses[i]->body); live.ok()) {
        if (auto why = unhealthy_reason(*live, failed)) reason = *why;
      }
      if (reason.empty()) continue;
      if (failed || first_reason.empty())
        if (unhealthy) *unhealthy = targets[i];
      if (failed) return fail(ErrorCode::invalid_input, targets[i].id + " is not healthy: " + reason);
      if (first_reason.empty()) first_reason = targets[i].id + ": " + reason;
      waiting.push_back(std::move(targets[i]));
    }
    targets = std::move(waiting);
    if (targets.empty()) break;
    const auto now = std::chrono::steady_clock::now();
    if (now - start > timeout)
      return fail(ErrorCode::timeout, "not healthy after " + std::to_string(timeout.count() / 1000) + " s: " + first_reason +
                                          (targets.size() > 1 ? " (and " + std::to_string(targets.size() - 1) + " more)" : ""));
    if (context.cancelled()) return fail(ErrorCode::cancelled, "stopped while waiting for health: " + first_reason);
    if (now - last_progress >= kProgressInterval) {
      context.logger().info("waiting for health", {{"waiting", std::to_string(targets.size())}, {"first", first_reason}});
      last_progress = now;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return {};
}

}  // namespace driftless::kube
