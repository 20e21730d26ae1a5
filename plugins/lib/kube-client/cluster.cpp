#include "cluster.hpp"

#include <map>

namespace driftless::kube {
namespace {

std::string key_of(const ClusterSettings& s) {
  std::string key = s.kubeconfig + '\n' + s.context + '\n' + s.impersonate.user + '\n' +
                    std::to_string(s.request_timeout.count());
  for (const auto& group : s.impersonate.groups) key += '\n' + group;
  return key;
}

bool knows_all(const Discovery& discovery, const std::vector<KubeObject>& objects) {
  for (const auto& object : objects)
    if (!discovery.find(object.api_version(), object.kind())) return false;
  return true;
}

}  // namespace

Result<std::shared_ptr<Cluster>> Cluster::shared(const ClusterSettings& settings) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<Cluster>> clusters;
  std::lock_guard lock(mutex);
  std::weak_ptr<Cluster>& slot = clusters[key_of(settings)];
  if (auto cluster = slot.lock()) return cluster;
  auto access = find_cluster(settings.kubeconfig, settings.context);
  if (!access.ok()) return access.error();
  auto cluster = std::make_shared<Cluster>(std::move(*access), settings);
  slot = cluster;
  return cluster;
}

Cluster::Cluster(ClusterAccess access, const ClusterSettings& settings)
    : client_(std::move(access), settings.impersonate, settings.request_timeout) {}

Result<std::shared_ptr<const Discovery>> Cluster::discovery(const std::vector<KubeObject>& objects) {
  const std::uint64_t loads_before = loads_.load();
  std::lock_guard lock(discovery_mutex_);
  // A read that finished while this call waited is as fresh as its own would be.
  if (discovery_ && (loads_.load() != loads_before || knows_all(*discovery_, objects))) return discovery_;
  return load();
}

Result<std::shared_ptr<const Discovery>> Cluster::rediscover() {
  std::lock_guard lock(discovery_mutex_);
  return load();
}

void Cluster::forget(const std::shared_ptr<const Discovery>& stale) {
  std::lock_guard lock(discovery_mutex_);
  if (discovery_ == stale) discovery_.reset();
}

Result<std::shared_ptr<const Discovery>> Cluster::load() {
  auto loaded = Discovery::load(client_);
  if (!loaded.ok())
    return fail(loaded.error().code, "cannot reach the cluster of " + access().description + " (" + access().server +
                                         "): " + loaded.error().message);
  discovery_ = std::make_shared<const Discovery>(std::move(*loaded));
  ++loads_;
  return discovery_;
}

}  // namespace driftless::kube
