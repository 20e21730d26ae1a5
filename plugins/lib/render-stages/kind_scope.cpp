#include "kind_scope.hpp"

#include <cctype>

namespace driftless::renderers {
namespace {

std::string key(const std::string& group, const std::string& kind) { return group + "|" + kind; }

// "group|Kind" of an "apiVersion/Kind" entry of ClusterInfo ("apps/v1/Deployment",
// "v1/Pod"); nullopt for a bare API version ("apps/v1"): kinds start upper-case.
std::optional<std::string> key_of_entry(const std::string& entry) {
  const auto last = entry.rfind('/');
  if (last == std::string::npos || last + 1 >= entry.size() || !std::isupper(static_cast<unsigned char>(entry[last + 1])))
    return std::nullopt;
  const std::string api_version = entry.substr(0, last);
  const auto slash = api_version.find('/');
  return key(slash == std::string::npos ? "" : api_version.substr(0, slash), entry.substr(last + 1));
}

// The built-in cluster-scoped kinds of Kubernetes 1.36 ("group|Kind").
constexpr const char* kClusterScoped[] = {
    "|Namespace", "|Node", "|PersistentVolume", "|ComponentStatus",
    "rbac.authorization.k8s.io|ClusterRole", "rbac.authorization.k8s.io|ClusterRoleBinding",
    "apiextensions.k8s.io|CustomResourceDefinition", "apiregistration.k8s.io|APIService",
    "storage.k8s.io|StorageClass", "storage.k8s.io|CSIDriver", "storage.k8s.io|CSINode",
    "storage.k8s.io|VolumeAttachment", "storage.k8s.io|VolumeAttributesClass", "scheduling.k8s.io|PriorityClass",
    "admissionregistration.k8s.io|ValidatingWebhookConfiguration", "admissionregistration.k8s.io|MutatingWebhookConfiguration",
    "admissionregistration.k8s.io|ValidatingAdmissionPolicy", "admissionregistration.k8s.io|ValidatingAdmissionPolicyBinding",
    "admissionregistration.k8s.io|MutatingAdmissionPolicy", "admissionregistration.k8s.io|MutatingAdmissionPolicyBinding",
    "node.k8s.io|RuntimeClass", "networking.k8s.io|IngressClass", "networking.k8s.io|IPAddress",
    "networking.k8s.io|ServiceCIDR", "certificates.k8s.io|CertificateSigningRequest",
    "certificates.k8s.io|ClusterTrustBundle", "flowcontrol.apiserver.k8s.io|FlowSchema",
    "flowcontrol.apiserver.k8s.io|PriorityLevelConfiguration", "resource.k8s.io|DeviceClass",
    "resource.k8s.io|ResourceSlice", "storagemigration.k8s.io|StorageVersionMigration",
    "internal.apiserver.k8s.io|StorageVersion",
};

// The built-in namespaced kinds a chart holds.
constexpr const char* kNamespaced[] = {
    "|Pod", "|Service", "|ServiceAccount", "|ConfigMap", "|Secret", "|PersistentVolumeClaim", "|Endpoints",
    "|Event", "|LimitRange", "|ResourceQuota", "|ReplicationController", "|PodTemplate",
    "apps|Deployment", "apps|StatefulSet", "apps|DaemonSet", "apps|ReplicaSet", "apps|ControllerRevision",
    "batch|Job", "batch|CronJob", "autoscaling|HorizontalPodAutoscaler", "policy|PodDisruptionBudget",
    "networking.k8s.io|Ingress", "networking.k8s.io|NetworkPolicy", "rbac.authorization.k8s.io|Role",
    "rbac.authorization.k8s.io|RoleBinding", "coordination.k8s.io|Lease", "discovery.k8s.io|EndpointSlice",
    "events.k8s.io|Event", "storage.k8s.io|CSIStorageCapacity", "resource.k8s.io|ResourceClaim",
    "resource.k8s.io|ResourceClaimTemplate",
};

}  // namespace

KindScopes::KindScopes(const ClusterInfo* cluster) {
  // Later sources win: built-in, then the cluster, then the render's own CRDs.
  for (const char* kind : kClusterScoped) scopes_[kind] = false;
  for (const char* kind : kNamespaced) scopes_[kind] = true;
  if (cluster) {
    for (const auto& entry : cluster->api_versions)
      if (auto k = key_of_entry(entry)) scopes_[*k] = true;
    for (const auto& entry : cluster->cluster_scoped)
      if (auto k = key_of_entry(entry)) scopes_[*k] = false;
  }
}

void KindScopes::learn_crds(const std::vector<KubeObject>& objects) {
  for (const auto& object : objects) {
    if (object.kind() != "CustomResourceDefinition" || object.group() != "apiextensions.k8s.io") continue;
    const Value* group = object.body.at_path({"spec", "group"});
    const Value* kind = object.body.at_path({"spec", "names", "kind"});
    const Value* scope = object.body.at_path({"spec", "scope"});
    if (group && group->is_string() && kind && kind->is_string() && scope && scope->is_string())
      scopes_[key(group->as_string(), kind->as_string())] = scope->as_string() == "Namespaced";
  }
}

std::optional<bool> KindScopes::namespaced(const KubeObject& object) const {
  auto it = scopes_.find(key(object.group(), object.kind()));
  if (it == scopes_.end()) return std::nullopt;
  return it->second;
}

void place_in_namespace(std::vector<KubeObject>& objects, const std::string& namespace_name, const KindScopes& scopes,
                        std::vector<Diagnostic>& out) {
  for (auto& object : objects) {
    Value* metadata = object.body.is_object() ? object.body.as_object().find("metadata") : nullptr;
    if (!metadata || !metadata->is_object() || !object.namespace_name().empty()) continue;
    const auto namespaced = scopes.namespaced(object);
    if (!namespaced) {
      out.push_back({Severity::warning,
                     object.api_version() + " " + object.kind() +
                         " is a kind neither the cluster, the render's CRDs nor driftless knows, so it gets no "
                         "namespace; set metadata.namespace in the template if it is namespaced",
                     object.origin.file, 0, object.id()});
      continue;
    }
    if (*namespaced) metadata->as_object().set("namespace", namespace_name);
  }
}

}  // namespace driftless::renderers
