// Charts from an OCI registry (the registry of tests/env, plain HTTP on
// loopback), pulled with the real helm: a Flux v2 HelmRepository of type oci,
// anonymous and with a secretRef; an OCIRepository named by spec.chartRef with
// a dockerconfigjson Secret; a Flux v1 `repository: oci://...`.
#include <gtest/gtest.h>

#include <regex>

#include "driftless/toolkit/hash.hpp"
#include "helmrelease_fixture.hpp"

using namespace driftless::test;

namespace {

class OciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(helm_env()["OCI_REGISTRY"].empty()) << "the oci component of tests/env is not up";
    prefix_ = "hr" + std::to_string(::getpid() % 100000);
    charts_.add("web", "0.1.0", web_chart_templates(), "color: blue\n");
    charts_.add("web", "0.2.0", web_chart_templates(), "color: blue\n");
    for (const char* version : {"0.1.0", "0.2.0"}) {
      charts_.push_oci("web", version, "public/" + prefix_);
      charts_.push_oci("web", version, "private/" + prefix_);
    }
  }

  std::string credentials_secret(const std::string& ns) const {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-auth\n  namespace: " + ns + "\nstringData:\n  username: " +
           helm_env()["OCI_USER"] + "\n  password: " + helm_env()["OCI_PASSWORD"] + "\n";
  }

  std::string docker_config_secret(const std::string& ns) const {
    const std::string auth = driftless::base64_encode(helm_env()["OCI_USER"] + ":" + helm_env()["OCI_PASSWORD"]);
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-docker\n  namespace: " + ns +
           "\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"" + helm_env()["OCI_REGISTRY"] +
           "\": {\"auth\": \"" + auth + "\"}}}'\n";
  }

  ChartRepository charts_;
  std::string prefix_;
};

TEST_F(OciTest, InstallsFromAnOciHelmRepositoryAnonymouslyAndUpgradesWithinAVersionRange) {
  HelmFleet fleet("oci-" + prefix_, "        plainHttpRegistries: [\"" + helm_env()["OCI_REGISTRY"] + "\"]\n");
  const std::string ns = fleet.ns();
  fleet.write("repository.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: oci\n  namespace: " +
                                     ns + "\nspec:\n  type: oci\n  insecure: true\n  url: " + helm_env()["OCI_REGISTRY_URL"] + "/public/" +
                                     prefix_ + "\n");
  const std::string release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: " + ns +
                              "\nspec:\n  chart:\n    spec:\n      chart: web\n      version: \"VERSION\"\n"
                              "      sourceRef: {kind: HelmRepository, name: oci}\n  values:\n    color: oci\n";
  fleet.write("web.yaml", std::regex_replace(release, std::regex("VERSION"), "0.1.0"));
  // Flux v1: a chart in an OCI registry, plain HTTP because the config lists the registry.
  fleet.write("legacy.yaml", "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: legacy\n  namespace: " + ns +
                                 "\nspec:\n  chart:\n    repository: " + helm_env()["OCI_REGISTRY_URL"] + "/public/" + prefix_ +
                                 "\n    name: web\n    version: 0.2.0\n  values:\n    color: v1-oci\n");
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(config_map_value("web-settings", ns, "color"), "oci");
  EXPECT_EQ(config_map_value("web-settings", ns, "chartVersion"), "0.1.0");
  EXPECT_EQ(config_map_value(ns + "-legacy-settings", ns, "color"), "v1-oci");
  EXPECT_EQ(config_map_value(ns + "-legacy-settings", ns, "chartVersion"), "0.2.0");

  // Same chart digest and values: no upgrade.
  auto again = fleet.apply();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(revisions("web", ns), 1);

  fleet.write("web.yaml", std::regex_replace(release, std::regex("VERSION"), ">=0.1.0 <1.0.0"));
  auto upgraded = fleet.apply();
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.out << upgraded.err;
  EXPECT_EQ(config_map_value("web-settings", ns, "chartVersion"), "0.2.0");
  EXPECT_EQ(revisions("web", ns), 2);
}

TEST_F(OciTest, PullsPrivateChartsWithCredentialsFromTheRenderAndNeverShowsThem) {
  HelmFleet fleet("ocip-" + prefix_);
  const std::string ns = fleet.ns();
  fleet.write("secrets.yaml", credentials_secret(ns) + "---\n" + docker_config_secret(ns));
  fleet.write("sources.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: private\n  namespace: " +
                                  ns + "\nspec:\n  type: oci\n  insecure: true\n  url: " + helm_env()["OCI_REGISTRY_URL"] + "/private/" +
                                  prefix_ + "\n  secretRef: {name: registry-auth}\n---\n"
                                  "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: web-chart\n"
                                  "  namespace: " + ns + "\nspec:\n  interval: 10m\n  insecure: true\n  url: " +
                                  helm_env()["OCI_REGISTRY_URL"] + "/private/" + prefix_ + "/web\n  ref: {semver: \"~0.1\"}\n"
                                  "  secretRef: {name: registry-docker}\n  layerSelector:\n"
                                  "    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n");
  fleet.write("releases.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: repo\n  namespace: " + ns +
                                   "\nspec:\n  chart:\n    spec:\n      chart: web\n      version: 0.2.0\n"
                                   "      sourceRef: {kind: HelmRepository, name: private}\n---\n"
                                   "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ref\n  namespace: " + ns +
                                   "\nspec:\n  chartRef: {kind: OCIRepository, name: web-chart}\n  values: {color: by-ref}\n");
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(config_map_value("repo-settings", ns, "chartVersion"), "0.2.0");
  EXPECT_EQ(config_map_value("ref-settings", ns, "chartVersion"), "0.1.0");
  EXPECT_EQ(config_map_value("ref-settings", ns, "color"), "by-ref");
  EXPECT_EQ((applied.out + applied.err).find(helm_env()["OCI_PASSWORD"]), std::string::npos);

  // Without the credentials the pull fails: an error naming the file, nothing uninstalled.
  fleet.write("secrets.yaml", docker_config_secret(ns) + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-auth\n"
                              "  namespace: " + ns + "\nstringData:\n  username: " + helm_env()["OCI_USER"] +
                              "\n  password: wrong-password\n");
  fleet.write("releases.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: repo\n  namespace: " + ns +
                                   "\nspec:\n  chart:\n    spec:\n      chart: web\n      version: 0.1.0\n"
                                   "      sourceRef: {kind: HelmRepository, name: private}\n");
  auto refused = fleet.apply();
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("releases.yaml"), std::string::npos) << refused.out << refused.err;
  EXPECT_EQ((refused.out + refused.err).find("wrong-password"), std::string::npos) << refused.out << refused.err;
  EXPECT_EQ(revisions("ref", ns), 1);
  EXPECT_EQ(config_map_value("repo-settings", ns, "chartVersion"), "0.2.0");
}

}  // namespace
