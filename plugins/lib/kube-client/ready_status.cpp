#include "ready_status.hpp"

#include <algorithm>

namespace driftless::kube {
namespace {

constexpr const char* kReady = "Ready";

// The Ready condition of `live`'s status, or nullptr.
const Value* live_ready(const Value& live) {
  const Value* conditions = live.at_path({"status", "conditions"});
  if (!conditions || !conditions->is_array()) return nullptr;
  for (const auto& condition : conditions->as_array())
    if (condition.is_object() && condition.string_or("type") == kReady) return &condition;
  return nullptr;
}

}  // namespace

Result<std::string> object_name(const std::string& key, const std::string& name) {
  const bool valid = !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  if (!valid) return fail(ErrorCode::invalid_input, key + " '" + name + "' is not a Kubernetes object name");
  return name;
}

std::int64_t generation_of(const Value& live) {
  const Value* generation = live.at_path({"metadata", "generation"});
  return generation && generation->is_int() ? generation->as_int() : 0;
}

Value ready_condition(const Value& live, const Readiness& readiness, const std::string& now) {
  const std::string status = readiness.ready ? "True" : "False";
  const Value* before = live_ready(live);
  const bool same_status = before && before->string_or("status") == status;
  Object condition;
  condition.set("type", kReady);
  condition.set("status", status);
  condition.set("observedGeneration", generation_of(live));
  condition.set("lastTransitionTime", same_status ? before->string_or("lastTransitionTime", now) : now);
  condition.set("reason", readiness.reason);
  condition.set("message", readiness.message);
  return Value(std::move(condition));
}

bool changes_nothing(const Value& patch, const Value& live) {
  if (!patch.is_object() || !live.is_object()) return patch == live;
  for (const auto& [key, value] : patch.as_object()) {
    const Value* held = live.find(key);
    if (value.is_null() ? held && !held->is_null() : !held || !changes_nothing(value, *held)) return false;
  }
  return true;
}

Result<StatusWrite> write_status(KubeClient& client, const std::string& path,
                                 const std::function<Value(const Value& live)>& patch_of) {
  auto live = client.send(client.request("GET", path));
  if (live.ok() && live->status == 404) return StatusWrite::absent;
  if (!live.ok() || live->status >= 300) return fail(ErrorCode::unavailable, "reading it: " + failure_message(live));
  auto body = parse_json(live->body);
  if (!body.ok()) return fail(ErrorCode::unavailable, "the API server's answer is not JSON: " + body.error().message);
  const Value patch = patch_of(*body);
  if (changes_nothing(patch, *body)) return StatusWrite::unchanged;
  auto patched = client.send(client.request("PATCH", path + "/status", to_json(patch), "application/merge-patch+json"));
  if (!patched.ok() || patched->status >= 300) return fail(ErrorCode::unavailable, "writing it: " + failure_message(patched));
  return StatusWrite::written;
}

}  // namespace driftless::kube
