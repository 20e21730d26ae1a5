#include "target.hpp"

namespace driftless::kube {

Target target_of(const ClusterSettings& settings) {
  Object access;
  access.set("kubeconfig", settings.kubeconfig);
  access.set("context", settings.context);
  if (!settings.impersonate.user.empty()) {
    Object who;
    who.set("user", settings.impersonate.user);
    Array groups;
    for (const auto& group : settings.impersonate.groups) groups.push_back(Value(group));
    who.set("groups", Value(std::move(groups)));
    access.set("impersonate", Value(std::move(who)));
  }
  access.set("requestTimeoutMs", static_cast<std::int64_t>(settings.request_timeout.count()));
  return Target{kTargetKind, Value(std::move(access))};
}

Result<ClusterSettings> settings_of(const Target& target) {
  if (target.kind != kTargetKind || !target.access.is_object())
    return fail(ErrorCode::invalid_input, "the sink's target is '" + target.kind + "', not a Kubernetes cluster");
  ClusterSettings settings;
  settings.kubeconfig = target.access.string_or("kubeconfig");
  settings.context = target.access.string_or("context");
  if (const Value* who = target.access.find("impersonate"); who && who->is_object()) {
    settings.impersonate.user = who->string_or("user");
    if (const Value* groups = who->find("groups"); groups && groups->is_array())
      for (const auto& group : groups->as_array())
        if (group.is_string()) settings.impersonate.groups.push_back(group.as_string());
  }
  if (const Value* timeout = target.access.find("requestTimeoutMs"); timeout && timeout->is_int() && timeout->as_int() > 0)
    settings.request_timeout = std::chrono::milliseconds(timeout->as_int());
  return settings;
}

}  // namespace driftless::kube
