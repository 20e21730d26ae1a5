// High availability: one coordination.k8s.io/v1 Lease per pipeline in the
// target cluster says which `driftless run` replica acts on the pipeline.
// Optimistic concurrency (resourceVersion) decides between replicas that try
// at the same moment: the API server accepts only one of two writes based on
// the same version. See docs/operations.md, "High availability".
#pragma once

#include <driftless/capabilities.hpp>

#include <string>

#include "client.hpp"

namespace driftless::kube {

/// The Lease of one pipeline.
class PipelineLease {
 public:
  PipelineLease(std::string namespace_name, const std::string& pipeline);

  /// Creates the Lease when absent, renews it when `request.holder` holds it,
  /// takes it over when its holder let it expire (renewTime + leaseDurationSeconds
  /// in the past, or no holder); true when `request.holder` holds it afterwards.
  Result<bool> hold(KubeClient& client, const LeaseRequest& request) const;
  /// Clears the holder when `holder` holds the Lease, so others take over at once.
  Result<void> release(KubeClient& client, const LeaseRequest& request) const;

  /// "Lease/<namespace>/<name>", for messages.
  std::string id() const { return "Lease/" + namespace_ + "/" + name_; }

 private:
  std::string collection() const;
  std::string path() const { return collection() + "/" + name_; }
  Result<std::optional<Value>> read(KubeClient& client, const LeaseRequest& request) const;
  /// PUT of `lease`; false when someone else changed it since it was read.
  Result<bool> replace(KubeClient& client, const LeaseRequest& request, const Value& lease) const;

  std::string namespace_;
  std::string name_;
  std::string pipeline_;
};

}  // namespace driftless::kube
