// One API server as one identity, shared by every sink (and helmrelease
// renderer) of the process that reaches it the same way: one authenticated
// client with its pooled connections, one discovery. A thousand pipelines of
// one cluster then cost one discovery, not a thousand.
#pragma once

#include <driftless/object.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client.hpp"
#include "discovery.hpp"

namespace driftless::kube {

/// How a sink reaches its cluster; equal settings share one Cluster.
struct ClusterSettings {
  std::string kubeconfig;  ///< "" = $KUBECONFIG, ~/.kube/config, then in-cluster
  std::string context;     ///< "" = the current context
  Impersonation impersonate;
  std::chrono::milliseconds request_timeout{30 * 1000};
};

class Cluster {
 public:
  /// The Cluster of `settings`: the one already in use when there is one,
  /// else a new one (the kubeconfig is read now). It lives while someone holds it.
  static Result<std::shared_ptr<Cluster>> shared(const ClusterSettings& settings);

  Cluster(ClusterAccess access, const ClusterSettings& settings);

  KubeClient& client() { return client_; }
  const ClusterAccess& access() const { return client_.access(); }

  /// The API's types, read once; read again when they do not know the kind
  /// of one of `objects` (a CRD someone applied since) unless another caller
  /// read them meanwhile.
  Result<std::shared_ptr<const Discovery>> discovery(const std::vector<KubeObject>& objects = {});
  /// Reads the types again (after applying CRDs).
  Result<std::shared_ptr<const Discovery>> rediscover();
  /// Forgets `stale` (the cluster may have changed after errors), so the next call reads again.
  void forget(const std::shared_ptr<const Discovery>& stale);

 private:
  Result<std::shared_ptr<const Discovery>> load();

  KubeClient client_;
  std::mutex discovery_mutex_;  // one reader of discovery at a time; the others take its result
  std::shared_ptr<const Discovery> discovery_;
  std::atomic<std::uint64_t> loads_{0};  // discovery reads so far
};

}  // namespace driftless::kube
