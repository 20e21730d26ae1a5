// Which resources the API server serves: apiVersion + kind -> the REST path
// segment ("deployments") and whether it is namespaced. Uses aggregated
// discovery (two requests) when the server offers it, else the per-group
// documents.
#pragma once

#include <driftless/context.hpp>

#include <map>
#include <optional>
#include <string>

#include "client.hpp"

namespace driftless::kube {

/// The API group of an apiVersion: "apps" for "apps/v1", "" for "v1".
std::string api_group(const std::string& api_version);

/// Where objects of one kind live.
struct ResourceType {
  std::string group_version;  ///< "apps/v1", "v1"
  std::string kind;
  std::string resource;  ///< plural: "deployments"
  bool namespaced = false;

  /// The API group: "apps", "" for the core group.
  std::string group() const { return api_group(group_version); }
  /// "group|Kind": the kind across API versions, as in InventoryEntry::kind_key().
  std::string kind_key() const { return group() + "|" + kind; }
  /// "/apis/apps/v1" or "/api/v1".
  std::string api_prefix() const;
  /// The collection path, in `ns` when namespaced.
  std::string collection(const std::string& ns) const;
  /// The collection across all namespaces (the collection itself when cluster-scoped).
  std::string all_namespaces() const;
  /// The path of one object.
  std::string object_path(const std::string& ns, const std::string& name) const;
};

/// Which discovery documents to read.
enum class DiscoveryProtocol {
  aggregated_if_offered,  ///< two requests when the server offers aggregated discovery (1.26+), else legacy
  legacy,                 ///< one request per group version, as servers before aggregated discovery need
};

class Discovery {
 public:
  /// Reads the server's resources and version.
  static Result<Discovery> load(KubeClient& client,
                                DiscoveryProtocol protocol = DiscoveryProtocol::aggregated_if_offered);

  /// The type of `api_version` + `kind`, or nullptr.
  const ResourceType* find(const std::string& api_version, const std::string& kind) const;
  /// Adds a type the server does not serve yet (a kind whose CRD is being applied).
  void add(ResourceType type);
  /// Version and API list for renderers.
  const ClusterInfo& cluster_info() const { return info_; }

 private:
  Result<void> load_aggregated(KubeClient& client, bool& supported);
  Result<void> load_legacy(KubeClient& client);

  std::map<std::string, ResourceType> types_;  ///< key: "apiVersion|Kind"
  ClusterInfo info_;
};

}  // namespace driftless::kube
