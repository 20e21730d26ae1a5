#include "target_namespace.hpp"

#include <set>
#include <tuple>

#include "kind_scope.hpp"

namespace driftless::renderers {
namespace {

// Namespaced kinds whose namespace kustomize also writes elsewhere: a
// RoleBinding's subjects follow the ServiceAccounts they name.
bool namespace_reaches_other_fields(const KubeObject& object) {
  return object.group() == "rbac.authorization.k8s.io" && object.kind() == "RoleBinding";
}

// Cluster-scoped kinds that name no namespace, at the versions every
// kustomize's built-in schema knows them (kustomize decides scope from it).
bool plain_cluster_scoped(const KubeObject& object) {
  static const std::set<std::pair<std::string, std::string>> kinds = {
      {"rbac.authorization.k8s.io/v1", "ClusterRole"},
      {"storage.k8s.io/v1", "StorageClass"},
      {"scheduling.k8s.io/v1", "PriorityClass"},
      {"networking.k8s.io/v1", "IngressClass"},
  };
  return kinds.count({object.api_version(), object.kind()}) > 0;
}

// Annotations kustomize reads or strips (config.kubernetes.io/index,
// internal.config.kubernetes.io/path, kustomize.config.k8s.io/behavior ...).
bool has_kustomize_annotations(const KubeObject& object) {
  const Value* annotations = object.body.at_path({"metadata", "annotations"});
  if (!annotations || !annotations->is_object()) return false;
  for (const auto& [key, value] : annotations->as_object())
    for (const char* prefix : {"config.kubernetes.io/", "internal.config.kubernetes.io/", "kustomize.config.k8s.io/",
                               "config.k8s.io/"})
      if (key.starts_with(prefix)) return true;
  return false;
}

}  // namespace

bool set_namespace_as_kustomize_would(std::vector<KubeObject>& objects, const std::string& namespace_name) {
  const KindScopes scopes(nullptr);
  std::vector<bool> moves(objects.size());
  std::set<std::tuple<std::string, std::string, std::string, std::string>> ids;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const KubeObject& object = objects[i];
    if (!object.body.is_object() || object.api_version().empty() || object.kind().empty() || object.name().empty() ||
        object.kind().ends_with("List") || has_kustomize_annotations(object) || namespace_reaches_other_fields(object))
      return false;
    const auto namespaced = scopes.namespaced(object);
    if (namespaced == false && !plain_cluster_scoped(object)) return false;
    moves[i] = namespaced != false;
    const std::string namespace_after = moves[i] ? namespace_name : object.namespace_name();
    if (!ids.emplace(object.group(), object.kind(), namespace_after, object.name()).second) return false;
  }
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (moves[i]) objects[i].body.as_object()["metadata"].as_object().set("namespace", namespace_name);
  return true;
}

}  // namespace driftless::renderers
