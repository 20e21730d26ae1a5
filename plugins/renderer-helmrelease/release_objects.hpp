// The objects a Helm release put into the cluster, and whether someone changed
// or deleted them by hand. After every install or upgrade driftless keeps a
// fingerprint of each object of the release's manifest (everything but
// metadata and status); at each reconcile it lists the objects again, one
// LIST per kind and namespace for all releases together, and a release whose
// objects are gone or different is upgraded even though Git did not change:
// helm's three-way merge puts them back.
#pragma once

#include <driftless/object.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster.hpp"

namespace driftless::helmrelease {

/// One object of a release's manifest.
struct ObjectRef {
  std::string collection;      ///< the REST path of its kind in its namespace ("/api/v1/namespaces/web/configmaps")
  std::string kind;
  std::string namespace_name;  ///< "" for cluster-scoped kinds
  std::string name;

  /// "Kind/namespace/name", for messages.
  std::string id() const;
  /// "collection|Kind|namespace|name", as kept in the plugin's state: the
  /// check of an unchanged release needs no API discovery.
  std::string key() const;
  /// The ref of a key; nullopt for a malformed one.
  static std::optional<ObjectRef> from_key(const std::string& key);
};

/// The cluster as the release action sees it: one API client per run, and
/// discovery read only when something needs it (after an install, to write a
/// status), so checking unchanged releases costs only their LISTs.
class ClusterView {
 public:
  /// Connects as helm does: the kube sink's kubeconfig, context and impersonation.
  static Result<std::unique_ptr<ClusterView>> connect(const kube::ClusterSettings& settings);

  /// The objects of helm's rendered `manifest`; namespaced kinds without a
  /// namespace are in `release_namespace`. Kinds the server does not serve are left out.
  Result<std::vector<ObjectRef>> manifest_objects(const std::string& manifest, const std::string& release_namespace);

  /// Fingerprints of `objects` by key, from one LIST per kind and namespace; an
  /// object that does not exist has none. An error when a list fails.
  Result<std::map<std::string, std::string>> fingerprints(const std::vector<ObjectRef>& objects);

  /// A ConfigMap or Secret ("ConfigMap"/"Secret") of the cluster, for
  /// valuesFrom; an Error with ErrorCode::not_found when it does not exist.
  Result<KubeObject> config_object(const std::string& kind, const std::string& namespace_name, const std::string& name);

  kube::KubeClient& client() { return cluster_->client(); }
  /// Whether helm keeps a release of `pipeline` in any namespace: a Secret of
  /// its storage (helm's default driver; driftless runs helm without
  /// HELM_DRIVER) labelled owner=helm and with the pipeline's label, which
  /// driftless installs every release with. One LIST, limit 1; an error when
  /// the API refuses it (a tenant may not list Secrets everywhere).
  Result<bool> holds_release_of(const std::string& pipeline);
  /// The server's resources, read on first use (shared with the kube sinks of the same cluster).
  Result<const kube::Discovery*> discovery();

 private:
  explicit ClusterView(std::shared_ptr<kube::Cluster> cluster);

  std::shared_ptr<kube::Cluster> cluster_;
  std::shared_ptr<const kube::Discovery> discovery_;
};

}  // namespace driftless::helmrelease
