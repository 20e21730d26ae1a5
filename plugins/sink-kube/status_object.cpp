#include "status_object.hpp"

#include <chrono>

#include "kube_time.hpp"
#include "ready_status.hpp"

namespace driftless::kube {
namespace {

// How the core words a run that waits for its dependencies (core/pipeline/engine.cpp, run_one).
constexpr std::string_view kWaitsForDependencies = " (dependsOn) to be applied";

// At most `limit` bytes of `text`, not cutting a UTF-8 character in two.
std::string cut(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

}  // namespace

std::string StatusObject::id() const { return kind + "/" + namespace_name + "/" + name; }

std::string failure_summary(const std::vector<Diagnostic>& errors) {
  if (errors.empty()) return "";
  Diagnostic first = errors.front();
  // Messages from the API server may quote field values: of a Secret, only which one failed (as Events do).
  if (first.object.rfind("Secret/", 0) == 0)
    first.message = "the details are in the driftless log; a status or Event never carries a Secret's content";
  std::string summary = cut(format(first), kMaxFailureText);
  if (errors.size() > 1) summary += " (and " + std::to_string(errors.size() - 1) + " more)";
  return summary;
}

Value failure_status_patch(const Value& live, const std::vector<Diagnostic>& errors, const std::string& now) {
  const bool waits = !errors.empty() && errors.front().message.find(kWaitsForDependencies) != std::string::npos;
  Array conditions;
  conditions.push_back(
      ready_condition(live, {false, waits ? "DependencyNotReady" : "ReconciliationFailed", failure_summary(errors)}, now));
  Object status;
  status.set("observedGeneration", generation_of(live));
  status.set("conditions", Value(std::move(conditions)));
  Object patch;
  patch.set("status", Value(std::move(status)));
  return Value(std::move(patch));
}

void FailureStatus::write(Context& context, Cluster& cluster, const std::vector<Diagnostic>& errors) {
  if (object_.name.empty() || errors.empty()) return;
  auto warn = [&](const std::string& message) {
    context.logger().warn("the failure was not written to the status of " + object_.id(), {{"error", message}});
  };
  auto discovery = cluster.discovery();
  if (!discovery.ok()) return warn(discovery.error().message);
  const ResourceType* type = (*discovery)->find(object_.api_version, object_.kind);
  auto said_absent = [&](const std::string& why) {
    if (!said_absent_.exchange(true))
      context.logger().info(why + "; the failure is not written to its status (docs/sink-kube.md, \"Status object\")",
                            {{"object", object_.id()}});
  };
  if (!type) return said_absent("the cluster serves no " + object_.api_version + " " + object_.kind);
  const std::string now = rfc3339(std::chrono::system_clock::now());
  auto written = write_status(cluster.client(), type->object_path(object_.namespace_name, object_.name),
                              [&](const Value& live) { return failure_status_patch(live, errors, now); });
  if (!written.ok()) return warn(written.error().message);
  if (*written == StatusWrite::absent) return said_absent("the object is not in the cluster");
  said_absent_ = false;
  if (*written == StatusWrite::written)
    context.logger().info("failure written to the status", {{"object", object_.id()}});
}

}  // namespace driftless::kube
