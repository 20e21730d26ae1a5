// HelmRelease objects become real Helm releases: `driftless apply` with the
// yaml and helmrelease renderers and the kube sink, against the kube-apiserver
// and helm of tests/env and a chart repository served over HTTP by the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "helmrelease_fixture.hpp"

using namespace driftless::test;

namespace {

std::string release_v2(const std::string& ns, const std::string& name, const std::string& version, const std::string& extra_spec) {
  return helm_release_object(ns, name, "web", version, extra_spec);
}

long upgrades(const std::vector<std::string>& calls) {
  return std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c.rfind("upgrade", 0) == 0; });
}

class HelmReleaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(helm_env()["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
    charts_.add("web", "0.1.0", web_chart_templates(), "color: blue\n");
    charts_.add("web", "0.2.0", web_chart_templates(), "color: blue\n");
  }

  // A fleet (see HelmFleet) whose folder already holds the HelmRepository "charts" of charts_.
  HelmFleet& fleet_with_charts(const std::string& prefix, const std::string& renderer_extra = "",
                               const std::string& interval = "1h", const std::string& repository_interval = "10m") {
    fleet_ = std::make_unique<HelmFleet>(unique(prefix), renderer_extra, interval);
    fleet_->write("repository.yaml", helm_repository_object(fleet_->ns(), charts_.url(), repository_interval));
    return *fleet_;
  }

  ChartRepository charts_;
  std::unique_ptr<HelmFleet> fleet_;
};

TEST_F(HelmReleaseTest, InstallsUpgradesOnValuesAndVersionSkipsNoOpsAndUninstallsOnRemoval) {
  HelmFleet& fleet = fleet_with_charts("hr-life");
  const std::string ns = fleet.ns();
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0", "  values:\n    color: red\n"));

  auto first = fleet.apply();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(revisions("web", ns), 1);
  EXPECT_EQ(config_map_value("web-settings", ns, "color"), "red");
  EXPECT_EQ(config_map_value("web-settings", ns, "chartVersion"), "0.1.0");
  EXPECT_NE(deployed_values("web", ns).find("\"color\":\"red\""), std::string::npos);
  auto labelled = helm({"list", "-n", ns, "-q", "--selector", "driftless.dev/pipeline=" + ns});
  EXPECT_EQ(labelled.out, "web\n");
  // The Flux objects are consumed, not applied.
  EXPECT_NE(kubectl({"get", "helmreleases.helm.toolkit.fluxcd.io", "web", "-n", ns}).exit_code, 0);

  // Nothing changed: no helm upgrade at all, the release keeps its revision.
  const auto calls_before = upgrades(fleet.helm_calls());
  auto again = fleet.apply();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(upgrades(fleet.helm_calls()), calls_before);
  EXPECT_EQ(revisions("web", ns), 1);
  auto quiet = fleet.diff();
  EXPECT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;

  // A values change upgrades.
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0", "  values:\n    color: green\n"));
  auto pending = fleet.diff();
  EXPECT_EQ(pending.exit_code, 1) << pending.out << pending.err;
  EXPECT_NE(pending.out.find("would upgrade release " + ns + "/web"), std::string::npos) << pending.out;
  EXPECT_EQ(revisions("web", ns), 1);
  auto values_change = fleet.apply();
  ASSERT_EQ(values_change.exit_code, 0) << values_change.out << values_change.err;
  EXPECT_EQ(revisions("web", ns), 2);
  EXPECT_EQ(config_map_value("web-settings", ns, "color"), "green");

  // A version change (a range picking the highest match) upgrades.
  fleet.write("web.yaml", release_v2(ns, "web", "0.x", "  values:\n    color: green\n"));
  auto version_change = fleet.apply();
  ASSERT_EQ(version_change.exit_code, 0) << version_change.out << version_change.err;
  EXPECT_EQ(revisions("web", ns), 3);
  EXPECT_EQ(config_map_value("web-settings", ns, "chartVersion"), "0.2.0");

  // Removed from Git: uninstalled.
  fleet.remove("web.yaml");
  auto removal = fleet.apply();
  ASSERT_EQ(removal.exit_code, 0) << removal.out << removal.err;
  EXPECT_EQ(revisions("web", ns), 0);
  EXPECT_EQ(kubectl({"get", "configmap", "web-settings", "-n", ns}).exit_code, 1);
}

TEST_F(HelmReleaseTest, TheDaemonReconcilesUnchangedReleasesWithoutUpgradesAndAppliesChanges) {
  HelmFleet& fleet = fleet_with_charts("hr-daemon", "", "2s", "3s");
  const std::string ns = fleet.ns();
  fleet.write("web.yaml", release_v2(ns, "web", "0.2.0", "  values:\n    color: red\n"));
  auto daemon = fleet.start_daemon();
  ASSERT_TRUE(eventually([&] { return revisions("web", ns) == 1; }, std::chrono::seconds(120))) << daemon->output();
  // Reconciles of the unchanged (cached) render: one helm list each, no upgrade.
  auto lists = [&] {
    auto calls = fleet.helm_calls();
    return std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c.rfind("list --all-namespaces", 0) == 0; });
  };
  ASSERT_TRUE(eventually([&] { return lists() >= 4; }, std::chrono::seconds(60))) << daemon->output();
  EXPECT_EQ(upgrades(fleet.helm_calls()), 1);
  EXPECT_EQ(revisions("web", ns), 1);

  fleet.write("web.yaml", release_v2(ns, "web", "0.x", "  values:\n    color: green\n"));
  EXPECT_TRUE(eventually([&] { return config_map_value("web-settings", ns, "color") == "green"; }, std::chrono::seconds(60)))
      << daemon->output();
  EXPECT_EQ(revisions("web", ns), 2);

  // A new chart version in the range: picked up after the repository's interval, with Git unchanged.
  charts_.add("web", "0.4.0", web_chart_templates(), "color: blue\n");
  EXPECT_TRUE(eventually([&] { return config_map_value("web-settings", ns, "chartVersion") == "0.4.0"; },
                         std::chrono::seconds(60)))
      << daemon->output();
  EXPECT_EQ(revisions("web", ns), 3);
}

TEST_F(HelmReleaseTest, KeepsReleasesWhenPruneIsOff) {
  HelmFleet& fleet = fleet_with_charts("hr-keep", "        prune: false\n");
  const std::string ns = fleet.ns();
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0", ""));
  ASSERT_EQ(fleet.apply().exit_code, 0);
  fleet.remove("web.yaml");
  auto removal = fleet.apply();
  ASSERT_EQ(removal.exit_code, 0) << removal.out << removal.err;
  EXPECT_EQ(revisions("web", ns), 1);
}

// A pipeline with no HelmRelease (every pipeline a Flux Kustomization
// declares runs this stage) asks the API whether helm keeps a release of it,
// instead of starting `helm list`; a release whose HelmRelease left Git while
// the daemon's state was lost is still found, and uninstalled.
TEST_F(HelmReleaseTest, RunsNoHelmWithoutHelmReleasesYetUninstallsWhatALostStateForgot) {
  HelmFleet& fleet = fleet_with_charts("hr-none");
  const std::string ns = fleet.ns();
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0", ""));
  ASSERT_EQ(fleet.apply().exit_code, 0);
  ASSERT_EQ(revisions("web", ns), 1);

  fleet.remove("web.yaml");
  std::filesystem::remove_all(fleet.path("state"));
  auto removal = fleet.apply();
  ASSERT_EQ(removal.exit_code, 0) << removal.out << removal.err;
  EXPECT_EQ(revisions("web", ns), 0);

  const auto calls = fleet.helm_calls().size();
  auto none = fleet.apply();
  ASSERT_EQ(none.exit_code, 0) << none.out << none.err;
  EXPECT_EQ(fleet.helm_calls().size(), calls) << "helm ran for a pipeline with no HelmRelease and no release";
}

TEST_F(HelmReleaseTest, NothingIsInstalledOrUninstalledWhenTheSinkFails) {
  HelmFleet& fleet = fleet_with_charts("hr-sinkfail");
  const std::string ns = fleet.ns();
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0", ""));
  ASSERT_EQ(fleet.apply().exit_code, 0);
  // The API server refuses this object, so the apply fails before any release work.
  fleet.write("invalid.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n  namespace: " + ns + "\n");
  fleet.remove("web.yaml");
  fleet.write("other.yaml", release_v2(ns, "other", "0.1.0", ""));
  auto failed = fleet.apply();
  EXPECT_NE(failed.exit_code, 0) << failed.out << failed.err;
  EXPECT_EQ(revisions("web", ns), 1);
  EXPECT_EQ(revisions("other", ns), 0);
}

TEST_F(HelmReleaseTest, RollsBackAFailedUpgradeWhenRemediationAsksForIt) {
  // 0.3.0 holds an object the API server refuses, so its upgrade fails.
  auto broken = web_chart_templates();
  broken["broken.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n";
  charts_.add("web", "0.3.0", broken, "color: blue\n");
  HelmFleet& fleet = fleet_with_charts("hr-rollback");
  const std::string ns = fleet.ns();
  const std::string remediation = "  upgrade:\n    remediation: {retries: 1}\n";
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0", remediation));
  ASSERT_EQ(fleet.apply().exit_code, 0);

  fleet.write("web.yaml", release_v2(ns, "web", "0.3.0", remediation));
  auto failed = fleet.apply();
  EXPECT_NE(failed.exit_code, 0) << failed.out << failed.err;
  EXPECT_NE((failed.out + failed.err).find("web.yaml"), std::string::npos) << failed.out << failed.err;
  EXPECT_NE((failed.out + failed.err).find("rolled back"), std::string::npos) << failed.out << failed.err;
  // install (1), failed upgrade (2), rollback to 1 (3)
  EXPECT_EQ(revisions("web", ns), 3);
  auto status = helm({"status", "web", "-n", ns, "-o", "json"});
  EXPECT_NE(status.out.find("\"status\":\"deployed\""), std::string::npos) << status.out;
  EXPECT_EQ(config_map_value("web-settings", ns, "chartVersion"), "0.1.0");
}

TEST_F(HelmReleaseTest, MergesValuesFromConfigMapsAndSecretsInFluxOrderWithoutShowingSecrets) {
  HelmFleet& fleet = fleet_with_charts("hr-values");
  const std::string ns = fleet.ns();
  fleet.write("values.yaml",
              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-values\n  namespace: " + ns +
                  "\ndata:\n  values.yaml: |\n    color: from-configmap\n    greeting: from-configmap\n---\n"
                  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-secret\n  namespace: " + ns +
                  "\nstringData:\n  custom.yaml: |\n    greeting: s3cr3t-greeting\n  token: t0ken-value\n");
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0",
                                     "  valuesFrom:\n    - {kind: ConfigMap, name: web-values}\n"
                                     "    - {kind: Secret, name: web-secret, valuesKey: custom.yaml}\n"
                                     "    - {kind: Secret, name: web-secret, valuesKey: token, targetPath: auth.token}\n"
                                     "    - {kind: ConfigMap, name: absent, optional: true}\n"
                                     "  values:\n    color: inline\n"));
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(config_map_value("web-settings", ns, "color"), "inline");
  EXPECT_EQ(config_map_value("web-settings", ns, "greeting"), "s3cr3t-greeting");
  EXPECT_NE(deployed_values("web", ns).find("\"token\":\"t0ken-value\""), std::string::npos);
  for (const auto& output : {applied.out, applied.err, fleet.diff().out}) {
    EXPECT_EQ(output.find("s3cr3t-greeting"), std::string::npos) << output;
    EXPECT_EQ(output.find("t0ken-value"), std::string::npos) << output;
  }
}

// A Secret created in the cluster by hand (not in Git) feeds valuesFrom, as
// under Flux; a change to it reaches the release at the next apply.
TEST_F(HelmReleaseTest, ReadsValuesFromConfigMapsAndSecretsOfTheCluster) {
  HelmFleet& fleet = fleet_with_charts("hr-live-values");
  const std::string ns = fleet.ns();
  ASSERT_EQ(kubectl({"create", "namespace", ns}).exit_code, 0);
  ASSERT_EQ(kubectl({"-n", ns, "create", "secret", "generic", "web-live", "--from-literal=greeting=l1ve-s3cret"}).exit_code, 0);
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0",
                                     "  valuesFrom:\n    - {kind: Secret, name: web-live, valuesKey: greeting, targetPath: greeting}\n"));
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(config_map_value("web-settings", ns, "greeting"), "l1ve-s3cret");
  EXPECT_EQ(applied.err.find("l1ve-s3cret"), std::string::npos) << applied.err;

  ASSERT_EQ(kubectl({"-n", ns, "patch", "secret", "web-live", "-p", R"({"stringData":{"greeting":"r0tated"}})"}).exit_code, 0);
  applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(config_map_value("web-settings", ns, "greeting"), "r0tated");
}

TEST_F(HelmReleaseTest, InstallsFluxV1AndV2ReleasesSideBySide) {
  HelmFleet& fleet = fleet_with_charts("hr-v1v2");
  const std::string ns = fleet.ns();
  fleet.write("v2.yaml", release_v2(ns, "modern", "0.2.0", "  values:\n    color: v2\n"));
  fleet.write("v1.yaml", "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: legacy\n  namespace: " + ns +
                             "\nspec:\n  chart:\n    repository: " + charts_.url() +
                             "/\n    name: web\n    version: 0.1.0\n  values:\n    color: v1\n");
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  // v1 names releases "<namespace>-<name>", v2 "<name>".
  EXPECT_EQ(config_map_value(ns + "-legacy-settings", ns, "color"), "v1");
  EXPECT_EQ(config_map_value("modern-settings", ns, "color"), "v2");
  EXPECT_EQ(config_map_value(ns + "-legacy-settings", ns, "chartVersion"), "0.1.0");
}

TEST_F(HelmReleaseTest, MergesValuesFilesOfTheChartV2ValuesFilesAndV1ChartFileRefs) {
  charts_.add("web", "0.5.0", web_chart_templates(), "color: blue\ngreeting: default\n",
              {{"values-prod.yaml", "color: prod\ngreeting: from-prod-file\n"}, {"env/eu.yaml", "color: eu\n"}});
  HelmFleet& fleet = fleet_with_charts("hr-files");
  const std::string ns = fleet.ns();
  fleet.write("v2.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: modern\n  namespace: " + ns +
                             "\nspec:\n  chart:\n    spec:\n      chart: web\n      version: 0.5.0\n"
                             "      sourceRef: {kind: HelmRepository, name: charts}\n"
                             "      valuesFiles: [values-prod.yaml, env/eu.yaml]\n");
  fleet.write("v1.yaml", "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: legacy\n  namespace: " + ns +
                             "\nspec:\n  chart:\n    repository: " + charts_.url() + "/\n    name: web\n    version: 0.5.0\n"
                             "  valuesFrom:\n    - chartFileRef: {path: env/eu.yaml}\n    - chartFileRef: {path: values-prod.yaml}\n"
                             "    - chartFileRef: {path: absent.yaml, optional: true}\n  values:\n    greeting: inline\n");
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(config_map_value("modern-settings", ns, "color"), "eu");
  EXPECT_EQ(config_map_value("modern-settings", ns, "greeting"), "from-prod-file");
  EXPECT_EQ(config_map_value(ns + "-legacy-settings", ns, "color"), "prod");
  EXPECT_EQ(config_map_value(ns + "-legacy-settings", ns, "greeting"), "inline");

  fleet.write("v1.yaml", "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: legacy\n  namespace: " + ns +
                             "\nspec:\n  chart:\n    repository: " + charts_.url() + "/\n    name: web\n    version: 0.5.0\n"
                             "  valuesFrom:\n    - chartFileRef: {path: ../../etc/passwd}\n");
  auto refused = fleet.apply();
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("'../../etc/passwd' is not a path inside the chart"), std::string::npos)
      << refused.out << refused.err;
}

TEST_F(HelmReleaseTest, WarnsAboutUnsupportedFieldsAndRefusesMissingSourcesNamingFileAndLine) {
  HelmFleet& fleet = fleet_with_charts("hr-bad");
  const std::string ns = fleet.ns();
  fleet.write("web.yaml", release_v2(ns, "web", "0.1.0", "  test: {enable: true}\n  fancyField: 1\n"));
  auto warned = fleet.apply();
  ASSERT_EQ(warned.exit_code, 0) << warned.out << warned.err;
  const std::string said = warned.out + warned.err;
  EXPECT_NE(said.find("spec.fancyField is not supported"), std::string::npos) << said;
  EXPECT_NE(said.find("spec.test is not supported"), std::string::npos) << said;

  fleet.write("other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: " + ns + "\n---\n" +
                                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: lost\n  namespace: " +
                                ns + "\nspec:\n  chart:\n    spec:\n      chart: web\n      sourceRef: {kind: HelmRepository, name: nowhere}\n");
  auto refused = fleet.apply();
  EXPECT_NE(refused.exit_code, 0);
  const std::string error = refused.out + refused.err;
  EXPECT_NE(error.find("other.yaml:7"), std::string::npos) << error;
  EXPECT_NE(error.find("HelmRepository " + ns + "/nowhere is not in this render"), std::string::npos) << error;
  EXPECT_EQ(revisions(ns + "-lost", ns), 0);
  // The failed render pruned nothing.
  EXPECT_EQ(revisions("web", ns), 1);
}

}  // namespace
