#include "kustomization_status.hpp"

#include <algorithm>

#include "kube_time.hpp"
#include "ready_status.hpp"
#include "target.hpp"

namespace driftless::fluxstatus {
namespace {

// cli-utils' ObjMetadata string, which Flux's inventory uses: colons (RBAC
// names such as system:auth-delegator) become a double underscore.
std::string object_id(const KubeObject& object) {
  std::string name;
  for (char c : object.name()) name += c == ':' ? std::string("__") : std::string(1, c);
  return object.namespace_name() + "_" + name + "_" + object.group() + "_" + object.kind();
}

std::string version_of(const std::string& api_version) {
  const auto slash = api_version.rfind('/');
  return slash == std::string::npos ? api_version : api_version.substr(slash + 1);
}

}  // namespace

std::string KustomizationRef::id() const { return "Kustomization/" + namespace_name + "/" + name; }

std::string KustomizationRef::path() const {
  return "/apis/" + api_version + "/namespaces/" + namespace_name + "/kustomizations/" + name;
}

std::vector<InventoryEntry> inventory_of(const std::vector<KubeObject>& objects) {
  std::vector<InventoryEntry> out;
  out.reserve(objects.size());
  for (const auto& object : objects) out.push_back({object_id(object), version_of(object.api_version())});
  std::sort(out.begin(), out.end(), [](const InventoryEntry& a, const InventoryEntry& b) { return a.id < b.id; });
  return out;
}

Value status_patch(const Value& live, const std::string& revision, const std::vector<InventoryEntry>& inventory,
                   const std::string& now) {
  Array conditions;
  conditions.push_back(kube::ready_condition(live, {true, "ReconciliationSucceeded", "Applied revision: " + revision}, now));

  Array entries;
  for (const auto& entry : inventory) {
    Object ref;
    ref.set("id", entry.id);
    ref.set("v", entry.version);
    entries.push_back(Value(std::move(ref)));
  }
  Object inventory_value;
  inventory_value.set("entries", Value(std::move(entries)));

  Object status;
  status.set("observedGeneration", kube::generation_of(live));
  status.set("conditions", Value(std::move(conditions)));
  status.set("lastAppliedRevision", revision);
  status.set("lastAttemptedRevision", revision);
  status.set("inventory", Value(std::move(inventory_value)));
  Object patch;
  patch.set("status", Value(std::move(status)));
  return Value(std::move(patch));
}

StatusWrite::StatusWrite(KustomizationRef kustomization, std::string revision, std::vector<InventoryEntry> inventory)
    : kustomization_(std::move(kustomization)), revision_(std::move(revision)), inventory_(std::move(inventory)) {}

std::string StatusWrite::describe() const { return "the status of " + kustomization_.id(); }

SinkReport StatusWrite::run(Context& context, const Target& target, SinkMode mode) {
  SinkReport report;
  if (mode != SinkMode::apply) return report;
  auto warn = [&](const std::string& message) {
    report.diagnostics.push_back({Severity::warning, "the status of " + kustomization_.id() + " was not written: " + message,
                                  {}, 0, kustomization_.id()});
    return report;
  };
  auto settings = kube::settings_of(target);
  if (!settings.ok()) return warn(settings.error().message);
  auto cluster = kube::Cluster::shared(*settings);
  if (!cluster.ok()) return warn(cluster.error().message);

  // Decided on the live object, not on what this process wrote last: the kube
  // sink writes Ready=False there when a run fails, and a person or a Flux
  // controller may write it too. One GET per apply; a PATCH only on a change.
  const std::string now = kube::rfc3339(std::chrono::system_clock::now());
  auto written = kube::write_status((*cluster)->client(), kustomization_.path(), [&](const Value& live) {
    return status_patch(live, revision_, inventory_, now);
  });
  if (!written.ok()) return warn(written.error().message);
  if (*written == kube::StatusWrite::absent) {
    // Not an error: driftless never creates Kustomization objects (a Flux controller would act on them).
    if (!said_absent_.exchange(true))
      context.logger().info("the Kustomization is not in the cluster; its status is not written (see "
                            "docs/migrating-from-flux.md, \"Kustomization status\")",
                            {{"object", kustomization_.id()}});
    return report;
  }
  said_absent_ = false;
  if (*written == kube::StatusWrite::written)
    context.logger().info("Kustomization status written",
                          {{"object", kustomization_.id()}, {"revision", revision_}, {"entries", std::to_string(inventory_.size())}});
  return report;
}

}  // namespace driftless::fluxstatus
