#include "kustomization_status.hpp"

#include <algorithm>
#include <fstream>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/hash.hpp"
#include "kube_time.hpp"
#include "target.hpp"

namespace driftless::fluxstatus {
namespace {

constexpr const char* kReady = "Ready";

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

std::string signature_of(const KustomizationRef& kustomization, const std::string& revision,
                         const std::vector<InventoryEntry>& inventory) {
  std::string text = kustomization.path() + "\n" + revision + "\n";
  for (const auto& entry : inventory) text += entry.id + " " + entry.version + "\n";
  return sha256_hex(text);
}

// What was last written; "" when nothing was (or the file is not ours: more than a signature).
std::string read_signature(const std::filesystem::path& file) {
  auto text = read_file_capped(file, 256);
  return text.ok() ? *text : "";
}

// A torn write (a crash) costs one more status write, nothing else: no temporary file needed.
void write_text(const std::filesystem::path& file, const std::string& text, Logger& logger) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::trunc);
  out << text;
  if (!out.flush())
    logger.warn("cannot remember the Kustomization status written; the next reconcile writes it again",
                {{"file", file.string()}});
}

// The Ready condition of `live`'s status, or nullptr.
const Value* ready_condition(const Value& live) {
  const Value* conditions = live.at_path({"status", "conditions"});
  if (!conditions || !conditions->is_array()) return nullptr;
  for (const auto& condition : conditions->as_array())
    if (condition.is_object() && condition.string_or("type") == kReady) return &condition;
  return nullptr;
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
  const Value* generation_value = live.at_path({"metadata", "generation"});
  const std::int64_t generation = generation_value && generation_value->is_int() ? generation_value->as_int() : 0;
  const Value* ready = ready_condition(live);
  const bool was_ready = ready && ready->string_or("status") == "True";

  Object condition;
  condition.set("type", kReady);
  condition.set("status", "True");
  condition.set("observedGeneration", generation);
  condition.set("lastTransitionTime", was_ready ? ready->string_or("lastTransitionTime", now) : now);
  condition.set("reason", "ReconciliationSucceeded");
  condition.set("message", "Applied revision: " + revision);
  Array conditions;
  conditions.push_back(Value(std::move(condition)));

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
  status.set("observedGeneration", generation);
  status.set("conditions", Value(std::move(conditions)));
  status.set("lastAppliedRevision", revision);
  status.set("lastAttemptedRevision", revision);
  status.set("inventory", Value(std::move(inventory_value)));
  Object patch;
  patch.set("status", Value(std::move(status)));
  return Value(std::move(patch));
}

StatusWrite::StatusWrite(KustomizationRef kustomization, std::string revision, std::vector<InventoryEntry> inventory,
                         std::filesystem::path state_file)
    : kustomization_(std::move(kustomization)),
      revision_(std::move(revision)),
      inventory_(std::move(inventory)),
      state_file_(std::move(state_file)),
      signature_(signature_of(kustomization_, revision_, inventory_)) {}

std::string StatusWrite::describe() const { return "the status of " + kustomization_.id(); }

SinkReport StatusWrite::run(Context& context, const Target& target, SinkMode mode) {
  SinkReport report;
  if (mode != SinkMode::apply) return report;
  std::lock_guard lock(running_);
  if (!written_) written_ = read_signature(state_file_);
  if (*written_ == signature_) return report;
  if (write(context, target, report)) {
    written_ = signature_;
    write_text(state_file_, signature_, context.logger());
  }
  return report;
}

bool StatusWrite::write(Context& context, const Target& target, SinkReport& report) {
  auto warn = [&](const std::string& message) {
    report.diagnostics.push_back({Severity::warning, "the status of " + kustomization_.id() + " was not written: " + message,
                                  {}, 0, kustomization_.id()});
    return false;
  };
  auto settings = kube::settings_of(target);
  if (!settings.ok()) return warn(settings.error().message);
  auto cluster = kube::Cluster::shared(*settings);
  if (!cluster.ok()) return warn(cluster.error().message);
  kube::KubeClient& client = (*cluster)->client();

  auto live = client.send(client.request("GET", kustomization_.path()));
  if (live.ok() && live->status == 404) {
    // Not an error: driftless never creates Kustomization objects (a Flux controller would act on them).
    if (!said_absent_)
      context.logger().info("the Kustomization is not in the cluster; its status is not written (see "
                            "docs/migrating-from-flux.md, \"Kustomization status\")",
                            {{"object", kustomization_.id()}});
    said_absent_ = true;
    return false;
  }
  if (!live.ok() || live->status >= 300) return warn(kube::failure_message(live));
  auto body = parse_json(live->body);
  if (!body.ok()) return warn("the API server's answer is not JSON: " + body.error().message);
  said_absent_ = false;

  const std::string patch = to_json(status_patch(*body, revision_, inventory_, kube::rfc3339(std::chrono::system_clock::now())));
  auto patched = client.send(client.request("PATCH", kustomization_.path() + "/status", patch, "application/merge-patch+json"));
  if (!patched.ok() || patched->status >= 300) return warn(kube::failure_message(patched));
  context.logger().info("Kustomization status written",
                        {{"object", kustomization_.id()}, {"revision", revision_}, {"entries", std::to_string(inventory_.size())}});
  return true;
}

}  // namespace driftless::fluxstatus
