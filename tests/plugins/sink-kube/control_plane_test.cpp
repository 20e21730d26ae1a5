// The kube sink refuses GitOps control-plane objects (Flux, Argo CD) that a
// render passed on by accident, naming file, line and object.
#include <gtest/gtest.h>

#include "control_plane.hpp"

namespace driftless::kube {
namespace {

KubeObject object(const std::string& api_version, const std::string& kind, int line) {
  Object metadata;
  metadata.set("name", "x");
  metadata.set("namespace", "flux-system");
  Object body;
  body.set("apiVersion", api_version);
  body.set("kind", kind);
  body.set("metadata", std::move(metadata));
  return {std::move(body), {"clusters/prod/sync.yaml", 0, line}};
}

TEST(ControlPlaneObjects, FluxAndArgoCdObjectsAreRefusedNamingFileLineAndObject) {
  const std::vector<KubeObject> objects{
      object("kustomize.toolkit.fluxcd.io/v1", "Kustomization", 1), object("v1", "ConfigMap", 5),
      object("source.toolkit.fluxcd.io/v1", "GitRepository", 9), object("argoproj.io/v1alpha1", "Application", 20),
      object("argoproj.io/v1alpha1", "Rollout", 30), object("example.fluxcd.io.evil.com/v1", "Thing", 40),
      object("source.extensions.fluxcd.io/v1beta1", "ArtifactGenerator", 50)};
  auto refused = refuse_control_plane_objects(objects);
  ASSERT_EQ(refused.size(), 4u);
  EXPECT_EQ(refused[0].object, "Kustomization/flux-system/x");
  EXPECT_EQ(refused[0].file, "clusters/prod/sync.yaml");
  EXPECT_EQ(refused[0].line, 1);
  EXPECT_NE(refused[0].message.find("docs/migrating-from-flux.md"), std::string::npos) << refused[0].message;
  EXPECT_NE(refused[0].message.find("keepFluxObjects: true"), std::string::npos) << refused[0].message;
  EXPECT_EQ(refused[1].object, "GitRepository/flux-system/x");
  EXPECT_EQ(refused[2].object, "Application/flux-system/x");
  EXPECT_NE(refused[2].message.find("docs/migrating-from-argocd.md"), std::string::npos) << refused[2].message;
  EXPECT_EQ(refused[3].object, "ArtifactGenerator/flux-system/x");
}

}  // namespace
}  // namespace driftless::kube
