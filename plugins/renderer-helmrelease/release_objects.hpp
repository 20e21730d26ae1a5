// The objects a Helm release put into the cluster, and whether someone changed
// or deleted them by hand. After every install or upgrade driftless keeps a
// fingerprint of each object of the release's manifest (everything but
// metadata and status); at each reconcile it lists the objects again, one
// LIST per kind and namespace for all releases together, and a release whose
// objects are gone or different is upgraded even though Git did not change:
// helm's three-way merge puts them back.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client.hpp"
#include "discovery.hpp"

namespace driftless::helmrelease {

/// One object of a release's manifest.
struct ObjectRef {
  const kube::ResourceType* type = nullptr;  ///< from discovery; never null in a ref from manifest_objects
  std::string namespace_name;                ///< "" for cluster-scoped kinds
  std::string name;

  /// "Kind/namespace/name", for messages.
  std::string id() const;
  /// "apiVersion|Kind|namespace|name", as kept in the plugin's state.
  std::string key() const;
};

/// The cluster as the release action sees it: one API client and discovery per run.
class ClusterView {
 public:
  /// Connects the way helm does (kubeconfig, context) and reads discovery.
  static Result<std::unique_ptr<ClusterView>> connect(const std::string& kubeconfig, const std::string& context);

  /// The objects of helm's rendered `manifest`; namespaced kinds without a
  /// namespace are in `release_namespace`. Kinds the server does not serve are left out.
  std::vector<ObjectRef> manifest_objects(const std::string& manifest, const std::string& release_namespace) const;
  /// The object ref of a key (ObjectRef::key() of an earlier run); nullopt for a kind no longer served.
  std::optional<ObjectRef> ref(const std::string& key) const;

  /// Fingerprints of `objects` by key, from one LIST per kind and namespace; an
  /// object that does not exist has none. An error when a list fails.
  Result<std::map<std::string, std::string>> fingerprints(const std::vector<ObjectRef>& objects);

  kube::KubeClient& client() { return *client_; }
  const kube::Discovery& discovery() const { return discovery_; }

 private:
  ClusterView(std::unique_ptr<kube::KubeClient> client, kube::Discovery discovery);

  std::unique_ptr<kube::KubeClient> client_;
  kube::Discovery discovery_;
};

}  // namespace driftless::helmrelease
