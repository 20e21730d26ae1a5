// The set of objects a pipeline applied, kept in the cluster (a ConfigMap
// "driftless-inventory-<pipeline>") so that a daemon on a new machine knows
// what it may prune.
#pragma once

#include <set>
#include <string>

#include "client.hpp"
#include "discovery.hpp"

namespace driftless::kube {

/// One applied object; ordered so the inventory text is stable.
struct InventoryEntry {
  std::string api_version;
  std::string kind;
  std::string namespace_name;  ///< "" when cluster-scoped
  std::string name;

  /// Identity across API versions: "group|Kind|namespace|name".
  std::string key() const { return kind_key() + "|" + namespace_name + "|" + name; }
  /// "group|Kind", as in ResourceType::kind_key().
  std::string kind_key() const { return api_group(api_version) + "|" + kind; }
  /// "Kind/namespace/name" as in messages.
  std::string id() const;
  auto operator<=>(const InventoryEntry&) const = default;
};

using Inventory = std::set<InventoryEntry>;

/// `prefix` + the pipeline's name as a DNS-1123 name ("driftless-inventory-prod").
std::string pipeline_object_name(const std::string& prefix, const std::string& pipeline);

/// metadata of an object driftless keeps for a pipeline: name, namespace, one
/// label and one annotation naming the pipeline.
Value pipeline_object_metadata(const std::string& name, const std::string& namespace_name,
                               std::pair<std::string, std::string> label, std::pair<std::string, std::string> annotation);

class InventoryStore {
 public:
  InventoryStore(std::string namespace_name, const std::string& pipeline);

  /// Reads the stored set (empty when there is none yet).
  Result<Inventory> read(KubeClient& client);
  /// Stores `inventory` unless it equals what was last read or written.
  Result<void> write(KubeClient& client, const Inventory& inventory);
  /// The digest of the desired set whose sync last ran its hooks ("" when none did), as read.
  const std::string& hooks_ran_for() const { return hooks_ran_for_; }
  /// Records that the sync of the desired set with `digest` ran its hooks: a
  /// sync of the same set (a no-op reconcile, a restart) does not run them again.
  Result<void> record_hooks_ran(KubeClient& client, const std::string& digest);
  /// Deletes the stored set (a pipeline that is gone for good); a missing one is fine.
  Result<void> remove(KubeClient& client);
  /// "ConfigMap/<namespace>/<name>", for messages.
  std::string id() const { return "ConfigMap/" + namespace_ + "/" + name_; }
  /// The ConfigMap's path on the API server.
  std::string path() const { return "/api/v1/namespaces/" + namespace_ + "/configmaps/" + name_; }
  const std::string& namespace_name() const { return namespace_; }
  const std::string& name() const { return name_; }

 private:
  std::string namespace_;
  std::string name_;
  std::string pipeline_;
  std::optional<Inventory> stored_;
  std::string hooks_ran_for_;
};

}  // namespace driftless::kube
