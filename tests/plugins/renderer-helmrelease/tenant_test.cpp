// The tenant boundary: a pipeline whose kube sink impersonates a tenant
// installs its Helm releases as that tenant, never as the daemon's own
// identity, and reads valuesFrom ConfigMaps and Secrets of the cluster as that
// tenant, after the sink's apply. Against the RBAC of tests/env's
// kube-apiserver: RESTRICTED_USER may do what the `admin` ClusterRole allows
// in RESTRICTED_NAMESPACE and nothing cluster-wide.
#include <gtest/gtest.h>

#include <algorithm>

#include "helmrelease_fixture.hpp"

using namespace driftless::test;

namespace {

bool exists(const std::vector<std::string>& object) {
  std::vector<std::string> args{"get"};
  args.insert(args.end(), object.begin(), object.end());
  return kubectl(args).exit_code == 0;
}

class HelmReleaseTenant : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(helm_env()["RESTRICTED_USER"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
    charts_.add("web", "0.1.0", web_chart_templates(), "color: blue\n");
    // 0.2.0 also grants cluster-wide reading of Secrets: what a tenant must never get.
    auto escalating = web_chart_templates();
    escalating["clusterrole.yaml"] =
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {{ .Release.Name }}-reader\n"
        "rules:\n  - {apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}\n";
    charts_.add("web", "0.2.0", escalating, "color: blue\n");
  }

  // A fleet of the tenant, its folder holding the HelmRepository "charts" of charts_.
  HelmFleet& tenant_fleet(const std::string& prefix, const std::string& interval = "1h") {
    fleet_ = std::make_unique<HelmFleet>(unique(prefix), tenant(), interval);
    fleet_->write("repository.yaml", helm_repository_object(tenant().ns, charts_.url()));
    return *fleet_;
  }

  static Tenant tenant() { return {helm_env()["RESTRICTED_USER"], helm_env()["RESTRICTED_NAMESPACE"]}; }

  // True when every helm call that talks to the cluster ran as the tenant.
  bool helm_ran_as_the_tenant() const {
    const auto calls = fleet_->helm_calls();
    return !calls.empty() && std::all_of(calls.begin(), calls.end(), [](const std::string& call) {
      return call.find("--kube-as-user " + tenant().user) != std::string::npos;
    });
  }

  ChartRepository charts_;
  std::unique_ptr<HelmFleet> fleet_;
};

// A chart of namespaced objects installs in the tenant's namespace, as the
// tenant; its values come in part from a Secret made by hand in that namespace
// (not in Git), read as the tenant after the sink's apply.
TEST_F(HelmReleaseTenant, InstallsANamespacedChartAsTheTenantWithValuesFromASecretOfTheCluster) {
  HelmFleet& fleet = tenant_fleet("hr-tenant");
  const std::string ns = fleet.ns();
  const std::string release = unique("tenant-web");
  const std::string secret = release + "-values";
  ASSERT_EQ(kubectl({"-n", ns, "create", "secret", "generic", secret, "--from-literal=greeting=t3nant-s3cret"}).exit_code, 0);
  ASSERT_EQ(kubectl({"-n", ns, "label", "secret", secret, "driftless.dev/pipeline=" + fleet.pipeline()}).exit_code, 0);  // removed with the fleet
  fleet.write("web.yaml", helm_release_object(ns, release, "web", "0.1.0",
                                              "  valuesFrom:\n    - {kind: Secret, name: " + secret +
                                                  ", valuesKey: greeting, targetPath: greeting}\n"));
  auto applied = fleet.apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(helm_ran_as_the_tenant()) << testing::PrintToString(fleet.helm_calls());
  EXPECT_EQ(config_map_value(release + "-settings", ns, "greeting"), "t3nant-s3cret");
  EXPECT_EQ(applied.err.find("t3nant-s3cret"), std::string::npos) << applied.err;
  // Helm keeps the release's history in the tenant's namespace.
  EXPECT_TRUE(exists({"secret", "-n", ns, "sh.helm.release.v1." + release + ".v1"}));

  // Unchanged: the drift check reads the release's objects as the tenant, and nothing is upgraded.
  auto again = fleet.apply();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(revisions(release, ns), 1);
}

// The hole: a tenant put a chart that creates a ClusterRole in its
// folder, and the release was installed with the daemon's admin identity.
TEST_F(HelmReleaseTenant, AChartThatCreatesAClusterRoleIsRefusedAndNothingClusterWideIsCreated) {
  HelmFleet& fleet = tenant_fleet("hr-escape");
  const std::string ns = fleet.ns();
  const std::string release = unique("escape");
  const std::string role = release + "-reader";
  fleet.write("web.yaml", helm_release_object(ns, release, "web", "0.2.0"));
  auto refused = fleet.apply();
  EXPECT_NE(refused.exit_code, 0) << refused.out << refused.err;
  const std::string said = refused.out + refused.err;
  EXPECT_NE(said.find("web.yaml"), std::string::npos) << said;
  EXPECT_NE(said.find("release " + ns + "/" + release), std::string::npos) << said;
  EXPECT_NE(said.find("clusterroles.rbac.authorization.k8s.io \"" + role + "\" is forbidden"), std::string::npos) << said;
  EXPECT_NE(said.find("User \"" + tenant().user + "\""), std::string::npos) << said;
  EXPECT_TRUE(helm_ran_as_the_tenant()) << testing::PrintToString(fleet.helm_calls());
  EXPECT_FALSE(exists({"clusterrole", role}));  // asked as the admin
  kubectl({"delete", "clusterrole", role, "--ignore-not-found"});
}

// valuesFrom naming a Secret of a namespace the tenant may not read: the
// error names the Secret and the API's refusal; the release is not installed,
// and the release that left Git in the same commit is not uninstalled (until
// a run without errors).
TEST_F(HelmReleaseTenant, AValuesFromSecretTheTenantMayNotReadIsAnErrorAndNothingIsInstalledOrPruned) {
  HelmFleet& fleet = tenant_fleet("hr-peek");
  const std::string ns = fleet.ns();
  const std::string kept = unique("kept");
  fleet.write("kept.yaml", helm_release_object(ns, kept, "web", "0.1.0"));
  auto first = fleet.apply();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  ASSERT_EQ(revisions(kept, ns), 1);

  const std::string foreign = unique("hr-foreign");
  ASSERT_EQ(kubectl({"create", "namespace", foreign}).exit_code, 0);
  ASSERT_EQ(kubectl({"-n", foreign, "create", "secret", "generic", "admin-values", "--from-literal=values.yaml=color: 4dmin-only"})
                .exit_code,
            0);
  fleet.remove("kept.yaml");
  // Flux v1 may name a Secret of another namespace; the v1 release is "<namespace>-<name>".
  fleet.write("peek.yaml", "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: peek\n  namespace: " + ns +
                               "\nspec:\n  chart:\n    repository: " + charts_.url() + "/\n    name: web\n    version: 0.1.0\n"
                               "  valuesFrom:\n    - secretKeyRef: {name: admin-values, namespace: " + foreign + "}\n");
  auto refused = fleet.apply();
  kubectl({"delete", "namespace", foreign, "--wait=false"});
  EXPECT_NE(refused.exit_code, 0) << refused.out << refused.err;
  const std::string said = refused.out + refused.err;
  EXPECT_NE(said.find("peek.yaml"), std::string::npos) << said;
  EXPECT_NE(said.find("Secret " + foreign + "/admin-values"), std::string::npos) << said;
  EXPECT_NE(said.find("forbidden"), std::string::npos) << said;
  EXPECT_EQ(said.find("4dmin-only"), std::string::npos) << said;
  EXPECT_EQ(revisions(ns + "-peek", ns), 0);
  EXPECT_EQ(revisions(kept, ns), 1);

  // Without the offending HelmRelease the removed one is uninstalled: found, as
  // the tenant may not list all namespaces, in the namespace it was installed in.
  fleet.remove("peek.yaml");
  auto pruned = fleet.apply();
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_EQ(revisions(kept, ns), 0);
}

// A tenant may not list releases in all namespaces. The daemon learns that
// from the first refusal; its later reconciles (of the same, cached render)
// list the tenant's namespace straight away instead of being refused again.
TEST_F(HelmReleaseTenant, TheDaemonAsksForAllNamespacesOnceThenOnlyForTheTenantsNamespace) {
  HelmFleet& fleet = tenant_fleet("hr-tenant-run", "2s");
  const std::string ns = fleet.ns();
  const std::string release = unique("tenant-run");
  fleet.write("web.yaml", helm_release_object(ns, release, "web", "0.1.0"));
  auto daemon = fleet.start_daemon();
  ASSERT_TRUE(eventually([&] { return revisions(release, ns) == 1; }, std::chrono::seconds(120))) << daemon->output();
  // Listings of the pipeline's releases, by how they start.
  auto listings = [&](const std::string& start) {
    const auto calls = fleet.helm_calls();
    return std::count_if(calls.begin(), calls.end(), [&](const std::string& call) {
      return call.rfind(start, 0) == 0 && call.find("--selector driftless.dev/pipeline=") != std::string::npos;
    });
  };
  ASSERT_TRUE(eventually([&] { return listings("list --namespace " + ns + " ") >= 4; }, std::chrono::seconds(60)))
      << daemon->output();
  EXPECT_EQ(listings("list --all-namespaces"), 1) << testing::PrintToString(fleet.helm_calls());
  EXPECT_EQ(revisions(release, ns), 1);
}

// `driftless render` never reads the cluster: a valuesFrom Secret that is not
// in the render is left for the apply, and no kubeconfig is needed.
TEST_F(HelmReleaseTenant, RenderNeedsNoClusterForValuesFromTheCluster) {
  HelmFleet fleet(unique("hr-offline"));
  const std::string ns = fleet.ns();
  fleet.write("repository.yaml", helm_repository_object(ns, charts_.url()));
  fleet.write("web.yaml", helm_release_object(ns, "web", "web", "0.1.0",
                                              "  valuesFrom:\n    - {kind: Secret, name: made-by-hand, valuesKey: greeting}\n"));
  const std::string nowhere = (fleet.path("no-such-kubeconfig")).string();
  std::string config = read_file(fleet.path("driftless.yaml"));
  config.replace(config.find(helm_env()["KUBECONFIG"]), helm_env()["KUBECONFIG"].size(), nowhere);
  write_file(fleet.path("driftless.yaml"), config);
  auto rendered = fleet.driftless({"render", "--pipeline", fleet.pipeline()}, {{"KUBECONFIG", nowhere}});
  EXPECT_EQ(rendered.exit_code, 0) << rendered.out << rendered.err;
  EXPECT_NE(rendered.out.find("kind: Namespace"), std::string::npos) << rendered.out;
  EXPECT_EQ(rendered.err.find("error"), std::string::npos) << rendered.err;
}

}  // namespace
