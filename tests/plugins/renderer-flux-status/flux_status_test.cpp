// The flux-status renderer: it refuses a Kustomization name or namespace that
// is no Kubernetes object name (a request path is built from them), passes
// the objects on unchanged with one after-apply step, and writes Flux's
// inventory ids and status shape.
#include <gtest/gtest.h>

#include "driftless/after_apply.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "kustomization_status.hpp"
#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

std::vector<KubeObject> objects(const std::string& yaml) {
  auto parsed = parse_manifests(yaml, "apps/web/all.yaml");
  if (has_errors(parsed.diagnostics)) throw std::runtime_error("bad fixture");
  return parsed.objects;
}

const char* kObjects = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "shop:reader"}
)";

}  // namespace

TEST(FluxStatusRenderer, ANameOrNamespaceThatIsNoKubernetesNameIsRefused) {
  TempDir root;
  for (const std::string config : {"{name: ../../secrets, namespace: flux-system}", "{name: web, namespace: Flux_System}",
                                   "{name: web, namespace: ''}", "{name: web, namespace: a, apiVersion: v1}",
                                   "{name: web, namespace: a, apiVersion: 'kustomize.toolkit.fluxcd.io/v1/../x'}"}) {
    auto r = render({"flux-status", config, root.path(), "apps/web", {}, nullptr});
    EXPECT_NE(r.config_error, "") << config;
  }
  auto missing = render({"flux-status", "{namespace: flux-system}", root.path(), "apps/web", {}, nullptr});
  EXPECT_NE(missing.config_error.find("name"), std::string::npos) << missing.config_error;
}

TEST(FluxStatusRenderer, PassesTheObjectsOnWithOneStepAfterApply) {
  TempDir root;
  auto r = render({"flux-status", "{name: web, namespace: flux-system}", root.path(), "apps/web", objects(kObjects), nullptr});
  ASSERT_EQ(r.config_error, "");
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"Deployment/shop/web", "ConfigMap/shop/settings", "ClusterRole/shop:reader"}));
  ASSERT_EQ(r.result.after_apply.size(), 1u);
  EXPECT_EQ(r.result.after_apply[0]->describe(), "the status of Kustomization/flux-system/web");
  EXPECT_EQ(renderer_factory("flux-status").after_apply_target(), "kubernetes");
}

TEST(FluxStatusInventory, IdsAreFluxsNamespaceNameGroupKindSortedWithColonsTranscoded) {
  std::string listed;
  for (const auto& entry : fluxstatus::inventory_of(objects(kObjects))) listed += entry.id + " " + entry.version + "\n";
  EXPECT_EQ(listed,
            "_shop__reader_rbac.authorization.k8s.io_ClusterRole v1\n"
            "shop_settings__ConfigMap v1\n"
            "shop_web_apps_Deployment v1\n");
}

TEST(FluxStatusPatch, ReadyKeepsItsTransitionTimeWhileItStaysTrue) {
  const std::vector<fluxstatus::InventoryEntry> inventory{{"shop_settings__ConfigMap", "v1"}};
  auto live = parse_json(R"({"metadata":{"generation":3},"status":{"conditions":[)"
                         R"({"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(to_json(fluxstatus::status_patch(*live, "main@sha1:abc", inventory, "2026-12-03T14:00:00Z")),
            R"({"status":{"observedGeneration":3,"conditions":[{"type":"Ready","status":"True","observedGeneration":3,)"
            R"("lastTransitionTime":"2026-01-01T00:00:00Z","reason":"ReconciliationSucceeded",)"
            R"("message":"Applied revision: main@sha1:abc"}],"lastAppliedRevision":"main@sha1:abc",)"
            R"("lastAttemptedRevision":"main@sha1:abc","inventory":{"entries":[{"id":"shop_settings__ConfigMap","v":"v1"}]}}})");

  // Not Ready before (Flux failed, or no status yet): the transition is now.
  auto failed = parse_json(R"({"metadata":{"generation":1},"status":{"conditions":[)"
                           R"({"type":"Ready","status":"False","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})");
  ASSERT_TRUE(failed.ok());
  const Value patch = fluxstatus::status_patch(*failed, "main@sha1:abc", inventory, "2026-12-03T14:00:00Z");
  EXPECT_EQ(patch.at_path({"status", "conditions"})->as_array()[0].string_or("lastTransitionTime"), "2026-12-03T14:00:00Z");
}
