// API discovery against the real kube-apiserver: the legacy per-group
// documents (what servers without aggregated discovery offer) must map every
// apiVersion/kind exactly as aggregated discovery does.
#include <gtest/gtest.h>

#include <algorithm>

#include "discovery.hpp"
#include "support.hpp"

namespace driftless::kube {
namespace {

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

TEST(Discovery, LegacyDocumentsGiveTheSameTypesAsAggregatedDiscovery) {
  auto env = test::test_env();
  ASSERT_FALSE(env["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
  auto access = find_cluster(env["KUBECONFIG"], "");
  ASSERT_TRUE(access.ok()) << access.error().message;
  KubeClient client(*access, {}, std::chrono::seconds(30));

  auto aggregated = Discovery::load(client);
  ASSERT_TRUE(aggregated.ok()) << aggregated.error().message;
  const RequestCounts after_aggregated = client.counts();
  auto legacy = Discovery::load(client, DiscoveryProtocol::legacy);
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  // Aggregated: /version, /api, /apis. Legacy: one more request per group version.
  EXPECT_EQ(after_aggregated.reads, 3u);
  EXPECT_GT(client.counts().reads - after_aggregated.reads, 20u);

  EXPECT_EQ(legacy->cluster_info().version, aggregated->cluster_info().version);
  EXPECT_EQ(sorted(legacy->cluster_info().api_versions), sorted(aggregated->cluster_info().api_versions));
  // the scope of each kind, for renderers that place objects in namespaces as helm install does
  EXPECT_EQ(sorted(legacy->cluster_info().cluster_scoped), sorted(aggregated->cluster_info().cluster_scoped));
  for (const char* kind : {"v1/Namespace", "rbac.authorization.k8s.io/v1/ClusterRole", "apiextensions.k8s.io/v1/CustomResourceDefinition"})
    EXPECT_EQ(std::count(aggregated->cluster_info().cluster_scoped.begin(), aggregated->cluster_info().cluster_scoped.end(), kind), 1)
        << kind;
  EXPECT_EQ(std::count(aggregated->cluster_info().cluster_scoped.begin(), aggregated->cluster_info().cluster_scoped.end(),
                       "apps/v1/Deployment"), 0);
  for (const Discovery* d : {&*aggregated, &*legacy}) {
    const ResourceType* deployment = d->find("apps/v1", "Deployment");
    ASSERT_NE(deployment, nullptr);
    EXPECT_EQ(deployment->object_path("web", "api"), "/apis/apps/v1/namespaces/web/deployments/api");
    const ResourceType* role = d->find("rbac.authorization.k8s.io/v1", "ClusterRole");
    ASSERT_NE(role, nullptr);
    EXPECT_FALSE(role->namespaced);
    const ResourceType* config_map = d->find("v1", "ConfigMap");
    ASSERT_NE(config_map, nullptr);
    EXPECT_EQ(config_map->collection("x"), "/api/v1/namespaces/x/configmaps");
    EXPECT_EQ(d->find("v1", "NoSuchKind"), nullptr);
  }
}

}  // namespace
}  // namespace driftless::kube
