// High availability: one coordination.k8s.io/v1 Lease per pipeline in the
// target cluster says which `driftless run` replica acts on the pipeline; in
// mode shard one member Lease per replica says which replicas are alive.
// Optimistic concurrency (resourceVersion) decides between replicas that try
// at the same moment: the API server accepts only one of two writes based on
// the same version. See docs/operations.md, "High availability".
#pragma once

#include <driftless/capabilities.hpp>

#include <string>

#include "client.hpp"

namespace driftless::kube {

/// One Lease object: who holds it and until when.
class KubeLease {
 public:
  /// The Lease `name` in `namespace_name`, created with `metadata` when absent.
  KubeLease(std::string namespace_name, std::string name, Value metadata);

  /// Creates the Lease when absent, renews it when `request.holder` holds it,
  /// takes it over when its holder let it expire (renewTime + leaseDurationSeconds
  /// in the past, or no holder); true when `request.holder` holds it afterwards.
  Result<bool> hold(KubeClient& client, const LeaseRequest& request) const;
  /// Clears the holder when `holder` holds the Lease, so others take over at once.
  Result<void> release(KubeClient& client, const LeaseRequest& request) const;

  /// "Lease/<namespace>/<name>", for messages.
  std::string id() const { return "Lease/" + namespace_ + "/" + name_; }

 protected:
  std::string collection() const;
  std::string path() const { return collection() + "/" + name_; }
  Result<std::optional<Value>> read(KubeClient& client, const LeaseRequest& request) const;
  /// PUT of `lease`; false when someone else changed it since it was read.
  Result<bool> replace(KubeClient& client, const LeaseRequest& request, const Value& lease) const;

  std::string namespace_;
  std::string name_;
  Value metadata_;
};

/// The Lease of one pipeline: which replica acts on it.
class PipelineLease : public KubeLease {
 public:
  PipelineLease(std::string namespace_name, const std::string& pipeline);
};

/// The member Lease of one replica (highAvailability mode shard), one per
/// replica, found by its label among the others of its namespace.
class MemberLease : public KubeLease {
 public:
  MemberLease(std::string namespace_name, const std::string& holder);

  /// Holds the Lease of `request.holder` and returns the holders of every
  /// member Lease in the namespace that has not expired, sorted. Member
  /// Leases expired for longer than their duration are deleted (unless
  /// renewed meanwhile): identities change with every restart.
  Result<std::vector<std::string>> members(KubeClient& client, const LeaseRequest& request) const;
  /// Deletes the Lease of `request.holder` (a clean stop).
  Result<void> leave(KubeClient& client, const LeaseRequest& request) const;
};

}  // namespace driftless::kube
