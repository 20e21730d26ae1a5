// The set of objects a pipeline applied, kept in the cluster (a ConfigMap
// "driftless-inventory-<pipeline>") so that a daemon on a new machine knows
// what it may prune.
#pragma once

#include <set>
#include <string>

#include "client.hpp"

namespace driftless::kube {

/// One applied object; ordered so the inventory text is stable.
struct InventoryEntry {
  std::string api_version;
  std::string kind;
  std::string namespace_name;  ///< "" when cluster-scoped
  std::string name;

  /// Identity across API versions: "group|Kind|namespace|name".
  std::string key() const;
  /// "Kind/namespace/name" as in messages.
  std::string id() const;
  auto operator<=>(const InventoryEntry&) const = default;
};

using Inventory = std::set<InventoryEntry>;

class InventoryStore {
 public:
  InventoryStore(std::string namespace_name, const std::string& pipeline);

  /// Reads the stored set (empty when there is none yet).
  Result<Inventory> read(KubeClient& client);
  /// Stores `inventory` unless it equals what was last read or written.
  Result<void> write(KubeClient& client, const Inventory& inventory);
  /// Deletes the stored set (a pipeline that is gone for good); a missing one is fine.
  Result<void> remove(KubeClient& client);
  /// "ConfigMap/<namespace>/<name>", for messages.
  std::string id() const { return "ConfigMap/" + namespace_ + "/" + name_; }

 private:
  std::string namespace_;
  std::string name_;
  std::string pipeline_;
  std::optional<Inventory> stored_;
};

}  // namespace driftless::kube
