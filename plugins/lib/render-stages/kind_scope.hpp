// Which kinds live in a namespace, as `helm install -n NS` learns it from the
// cluster's REST mapping: the CRDs of the render say their own scope, the
// sink's view of the cluster comes next, and the built-in kinds of Kubernetes
// are known without a cluster.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driftless/context.hpp"
#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::renderers {

class KindScopes {
 public:
  /// The built-in kinds and those `cluster` (may be nullptr) serves.
  explicit KindScopes(const ClusterInfo* cluster);
  /// Adds the kinds the CustomResourceDefinitions among `objects` define.
  void learn_crds(const std::vector<KubeObject>& objects);
  /// True for a namespaced kind, false for a cluster-scoped one, nullopt when
  /// nothing tells.
  std::optional<bool> namespaced(const KubeObject& object) const;

 private:
  std::map<std::string, bool> scopes_;  ///< "group|Kind" -> namespaced
};

/// Gives `namespace_name` to every object of `objects` that names none and
/// whose kind is namespaced, as `helm install --namespace` does. An object
/// whose kind nobody knows keeps no namespace, with a warning naming it.
void place_in_namespace(std::vector<KubeObject>& objects, const std::string& namespace_name, const KindScopes& scopes,
                        std::vector<Diagnostic>& out);

}  // namespace driftless::renderers
