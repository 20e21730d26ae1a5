#include "hook_run.hpp"

#include <map>

#include "health.hpp"
#include "reconcile.hpp"

namespace driftless::kube {
namespace {

constexpr auto kGonePoll = std::chrono::milliseconds(250);

}  // namespace

void HookRunner::error(const Hook& hook, std::string message) {
  diagnostics_.push_back({Severity::error, std::move(message), hook.source->origin.file, hook.source->origin.line, hook.id});
}

// Deletes `path` and waits until it is gone, so a hook of the same name can be created again.
bool HookRunner::removed(const std::string& path, const std::string& id, const char* why) {
  auto response = client_.send(client_.request("DELETE", path, R"({"propagationPolicy":"Background"})", "application/json"));
  if (!response.ok() || (response->status / 100 != 2 && response->status != 404)) {
    diagnostics_.push_back({Severity::error, "cannot delete the hook " + id + " (" + why + "): " + failure_message(response), {}, 0, id});
    return false;
  }
  const auto give_up = std::chrono::steady_clock::now() + settings_.health_timeout;
  for (;;) {
    auto live = client_.send(client_.request("GET", path));
    if (live.ok() && live->status == 404) return true;
    if (!pause_before_retry(kGonePoll, give_up)) {
      diagnostics_.push_back({Severity::error, "the hook " + id + " (" + why + ") was deleted but is still there after " +
                                                   std::to_string(settings_.health_timeout.count() / 1000) + " s",
                              {}, 0, id});
      return false;
    }
  }
}

std::optional<HookRunner::Created> HookRunner::create(const Hook& hook, hooks::Phase phase) {
  const std::string name = hook.source->name();
  if (!name.empty() && hook.role.delete_policy.before_creation &&
      !removed(hook.type.object_path(hook.namespace_name, name), hook.id, "BeforeHookCreation"))
    return std::nullopt;
  const Value body = applied_object(hook.source->body, pipeline_, hook.namespace_name, hook.type.namespaced, "");
  auto response = client_.send(client_.request("POST", hook.type.collection(hook.namespace_name) + "?fieldManager=driftless",
                                               to_json(body), "application/json"));
  if (response.ok() && response->status == 409 && !name.empty()) {
    // A named hook without BeforeHookCreation runs once, as in Argo CD: the one there stays.
    context_.logger().info("hook exists already, not created again", {{"hook", hook.id}, {"phase", hooks::to_string(phase)}});
    return Created{&hook, hook.type.object_path(hook.namespace_name, name), hook.id};
  }
  if (!response.ok() || response->status != 201) {
    error(hook, std::string("the ") + hooks::to_string(phase) + " hook " + hook.id + " could not be created: " +
                    failure_message(response));
    return std::nullopt;
  }
  std::string given = name;
  if (auto created = parse_json(response->body); created.ok())
    if (const Value* n = created->at_path({"metadata", "name"}); n && n->is_string()) given = n->as_string();
  const std::string id = hook.type.kind + "/" + (hook.namespace_name.empty() ? "" : hook.namespace_name + "/") + given;
  context_.logger().info("hook created", {{"hook", id}, {"phase", hooks::to_string(phase)}});
  return Created{&hook, hook.type.object_path(hook.namespace_name, given), id};
}

bool HookRunner::run(const std::vector<Hook>& hooks, hooks::Phase phase, std::optional<int> wave) {
  std::map<int, std::vector<const Hook*>> waves;
  for (const auto& hook : hooks)
    if (hook.role.has(phase) && (!wave || hook.role.wave == *wave)) waves[hook.role.wave].push_back(&hook);
  for (const auto& [number, members] : waves) {
    std::vector<Created> created;
    for (const Hook* hook : members) {
      auto made = create(*hook, phase);
      if (!made) return false;
      created.push_back(std::move(*made));
    }
    std::vector<HealthTarget> targets;
    for (const auto& c : created) targets.push_back({c.id, c.path, {}, 0});  // polled
    HealthTarget unfinished;
    auto finished = wait_healthy(context_, client_, std::move(targets), settings_.health_timeout, settings_.concurrency,
                                 &unfinished);
    for (const auto& c : created) {
      const bool failed = !finished.ok() && c.id == unfinished.id;
      if (!failed && !finished.ok()) continue;  // not known to have finished
      const bool remove = failed ? c.hook->role.delete_policy.failed : c.hook->role.delete_policy.succeeded;
      if (failed)
        error(*c.hook, std::string("the ") + hooks::to_string(phase) + " hook (" + c.hook->role.hook + ", wave " +
                           std::to_string(number) + ") did not succeed: " + finished.error().message);
      else context_.logger().info("hook succeeded", {{"hook", c.id}, {"phase", hooks::to_string(phase)}});
      if (remove) removed(c.path, c.id, failed ? "HookFailed" : "HookSucceeded");
    }
    if (!finished.ok()) return false;
  }
  return true;
}

}  // namespace driftless::kube
