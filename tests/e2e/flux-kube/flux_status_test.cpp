// End to end: the status of Flux Kustomization objects written by driftless,
// so `kubectl get kustomizations` and `flux get kustomizations` show what it
// applied. A cluster folder (Git over HTTP) declares two Kustomizations; the
// real kube-apiserver first serves no Kustomization kind (nothing written,
// one line says so), then a minimal Kustomization CRD with the status
// subresource, and one of the two objects exists there (as Flux left it).
// After `driftless apply` that object shows Ready=True with the revision and
// Flux's inventory; a second apply writes nothing; a commit that changes its
// folder writes the new revision. A failed run shows Ready=False there (the
// kube sink's statusObject): a folder that does not render, a Kustomization
// waiting for its dependsOn, an apply the cluster refuses; the next good run
// shows Ready=True again, also at the same revision. Serial: the CRD is
// cluster-wide, and the flux-kube test checks that no Flux CRD reaches the cluster.
#include <gtest/gtest.h>

#include <random>

#include "crd_fixture.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

constexpr const char* kCrdName = "kustomizations.kustomize.toolkit.fluxcd.io";

std::string kustomization(const std::string& name, const std::string& ns, const std::string& path,
                          const std::string& depends_on = "") {
  return "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  interval: 1h\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
         "    namespace: flux-system\n  path: " + path + "\n  prune: true\n" +
         (depends_on.empty() ? "" : "  dependsOn:\n    - name: " + depends_on + "\n");
}

const char* kGotkSync =
    "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
    "  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: ssh://git@github.com/acme/fleet\n";

std::string config_map(const std::string& name, const std::string& ns, const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\ndata:\n  value: " + value + "\n";
}

// A cluster folder in Git, driftless applying it, the real kube-apiserver
// serving (or not) the Kustomization kind, and kubectl to read what was written.
class FluxStatus : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = require_env();
    ASSERT_FALSE(env_["KUBECONFIG"].empty() || env_["KUBECTL"].empty()) << "tests/env env file";
    ASSERT_EQ(kubectl({"delete", "customresourcedefinition", kCrdName, "--ignore-not-found", "--wait=true"}).exit_code, 0);
    write_file(work_ / "password", env_["GIT_HTTP_PASSWORD"]);
    write_file(work_ / "driftless.yaml",
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " +
                   env_["GIT_HTTP_URL"] + repo_.url_path() + ", ref: {branch: main}, auth: {username: " +
                   env_["GIT_HTTP_USER"] + ", passwordFile: password}}\npipelines:\n- {name: test, source: fleet, path: "
                   "clusters/test, renderers: [{type: auto, childRenderers: []}], sink: {type: kube, kubeconfig: " +
                   env_["KUBECONFIG"] + "}}\n");
    write_file(work_ / "lsan.supp", libgit2_leak_suppressions);
  }

  void TearDown() override {
    EXPECT_EQ(kubectl({"delete", "customresourcedefinition", kCrdName, "--ignore-not-found", "--wait=true"}).exit_code, 0);
  }

  CommandResult kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), {env_["KUBECTL"], "--kubeconfig", env_["KUBECONFIG"]});
    return run(args);
  }

  CommandResult apply() {
    return run_driftless({"--config", (work_ / "driftless.yaml").string(), "--state-dir", (work_ / "state").string(),
                          "--plugin-dir", plugin_dir().string(), "apply"},
                         {{"LSAN_OPTIONS", "suppressions=" + (work_ / "lsan.supp").string()}});
  }

  // The Kustomization CRD, then the Kustomization objects `yaml` (as Flux left them: driftless never creates one).
  void install_crd_and(const std::string& flux_ns, const std::string& yaml) {
    write_file(work_ / "crd.yaml", status_crd("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", "v1"));
    ASSERT_EQ(kubectl({"apply", "-f", (work_ / "crd.yaml").string()}).exit_code, 0);
    ASSERT_TRUE(eventually([&] { return kubectl({"get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A"}).exit_code == 0; },
                           std::chrono::seconds(30)));
    kubectl({"create", "namespace", flux_ns});
    write_file(work_ / "kustomizations.yaml", yaml);
    ASSERT_EQ(kubectl({"apply", "-f", (work_ / "kustomizations.yaml").string()}).exit_code, 0);
  }

  // `template_text` (kubectl's jsonpath) over the live Kustomization `name`.
  std::string jsonpath(const std::string& name, const std::string& ns, const std::string& template_text) {
    return kubectl({"get", "kustomizations.kustomize.toolkit.fluxcd.io", name, "-n", ns, "-o", "jsonpath=" + template_text}).out;
  }

  std::map<std::string, std::string> env_;
  TempDir work_;
  TestRepo repo_{"flux-status-e2e"};
  const std::string run_id_ = std::to_string(std::random_device{}() % 1000000);
};

// The revision `pipeline` reports applying ("test/web: ok at <revision>, ..."); "" when it did not.
std::string applied_revision(const std::string& out, const std::string& pipeline) {
  const std::string said = pipeline + ": ok at ";
  const auto at = out.find(said);
  if (at == std::string::npos) return "";
  return out.substr(at + said.size(), out.find(',', at) - at - said.size());
}

const char* kReady = R"(.status.conditions[?(@.type=="Ready")])";

}  // namespace

TEST_F(FluxStatus, AppliedKustomizationsShowReadyTheRevisionAndTheirInventoryWrittenOnlyWhenChanged) {
  const std::string flux_ns = "flux-ks-" + run_id_;  // where the Kustomization objects live
  const std::string apps = "flux-status-" + run_id_;
  const std::string reader = apps + ":reader";       // a ClusterRole name with a colon, as RBAC names have
  const std::string cluster = "clusters/test/";
  auto web_files = [&](const std::string& value) {
    return std::map<std::string, std::string>{
        {"apps/web/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + apps + "\n"},
        {"apps/web/settings.yaml", config_map("settings", apps, value)},
        {"apps/web/reader.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: " + reader +
                                     "\nrules:\n  - {apiGroups: [''], resources: [configmaps], verbs: [get]}\n"}};
  };
  auto files = web_files("one");
  files[cluster + "flux-system/gotk-sync.yaml"] = kGotkSync + kustomization("flux-system", "flux-system", "./clusters/test");
  files[cluster + "apps.yaml"] = kustomization("web", flux_ns, "./apps/web") + kustomization("absent", flux_ns, "./apps/other");
  files["apps/other/other.yaml"] = config_map("other", apps, "two");
  repo_.commit(files, "a Flux cluster folder");

  // No Kustomization kind served: the pipelines run, nothing is written, one line says so.
  auto plain = apply();
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_NE(plain.err.find("clusters/test/apps.yaml:2: info: renderer 'auto' (stage 1 of 1): the cluster serves no "
                           "Kustomization kind of "
                           "kustomize.toolkit.fluxcd.io: the status of the 2 Kustomization(s)"),
            std::string::npos)
      << plain.err;
  EXPECT_EQ(plain.err.find("Kustomization status written"), std::string::npos) << plain.err;

  // The CRD, and the web Kustomization as Flux left it in the cluster.
  install_crd_and(flux_ns, kustomization("web", flux_ns, "./apps/web"));
  auto field = [&](const std::string& path) { return jsonpath("web", flux_ns, "{" + path + "}"); };

  auto applied = apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  const std::string revision = applied_revision(applied.out, "test/web");
  ASSERT_EQ(revision.rfind("main@sha1:", 0), 0u) << applied.out;
  EXPECT_EQ(field(std::string(kReady) + ".status"), "True");
  EXPECT_EQ(field(std::string(kReady) + ".reason"), "ReconciliationSucceeded");
  EXPECT_EQ(field(std::string(kReady) + ".message"), "Applied revision: " + revision);
  EXPECT_EQ(field(".status.lastAppliedRevision"), revision);
  EXPECT_EQ(field(".status.lastAttemptedRevision"), revision);
  EXPECT_EQ(field(".status.observedGeneration"), field(".metadata.generation"));
  // Flux's inventory: "<namespace>_<name>_<group>_<kind>" and the version, sorted; a colon becomes "__".
  EXPECT_EQ(jsonpath("web", flux_ns, R"({range .status.inventory.entries[*]}{.id} {.v};{end})"),
            "_" + apps + "__Namespace v1;_" + apps + "__reader_rbac.authorization.k8s.io_ClusterRole v1;" + apps +
                "_settings__ConfigMap v1;");
  // The Kustomization absent from the cluster is named once, and is no error.
  EXPECT_NE(applied.err.find("the Kustomization is not in the cluster; its status is not written"), std::string::npos)
      << applied.err;
  EXPECT_NE(applied.err.find("Kustomization/" + flux_ns + "/absent"), std::string::npos) << applied.err;
  EXPECT_EQ(kubectl({"get", "kustomizations.kustomize.toolkit.fluxcd.io", "absent", "-n", flux_ns}).exit_code, 1);

  // Nothing changed: no status write, not even one the API server would drop as changing nothing.
  const std::string version_before = field(".metadata.resourceVersion");
  auto quiet = apply();
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;
  EXPECT_EQ(quiet.err.find("Kustomization status written"), std::string::npos) << quiet.err;
  EXPECT_EQ(field(".metadata.resourceVersion"), version_before);

  // A commit that changes the folder: the new revision is written, Ready's transition time kept.
  const std::string transition = field(std::string(kReady) + ".lastTransitionTime");
  repo_.commit(web_files("changed"), "change the web folder");
  auto changed = apply();
  ASSERT_EQ(changed.exit_code, 0) << changed.out << changed.err;
  const std::string new_revision = applied_revision(changed.out, "test/web");
  EXPECT_NE(new_revision, revision);
  EXPECT_EQ(field(".status.lastAppliedRevision"), new_revision);
  EXPECT_EQ(field(std::string(kReady) + ".lastTransitionTime"), transition);

  kubectl({"delete", "namespace", apps, flux_ns, "--wait=false"});
  kubectl({"delete", "clusterrole", reader, "--wait=false"});
}

TEST_F(FluxStatus, AFailedRunShowsReadyFalseWithItsErrorAndTheNextGoodRunReadyTrueAgain) {
  const std::string flux_ns = "flux-ks-" + run_id_;
  const std::string shared = "flux-shared-" + run_id_;  // made by hand: not in any render
  const std::string own = "flux-own-" + run_id_;        // the namespace the dependent Kustomization applies
  const std::string cluster = "clusters/test/";
  const std::string kustomizations =
      kustomization("app", flux_ns, "./apps/app") + kustomization("after", flux_ns, "./apps/after", "app");
  repo_.commit({{cluster + "flux-system/gotk-sync.yaml", kGotkSync + kustomization("flux-system", "flux-system", "./clusters/test")},
                {cluster + "apps.yaml", kustomizations},
                {"apps/app/settings.yaml", config_map("settings", shared, "one")},
                {"apps/after/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + own + "\n"},
                {"apps/after/after.yaml", config_map("after", own, "one")}},
               "two Kustomizations, one after the other");
  install_crd_and(flux_ns, kustomizations);
  ASSERT_EQ(kubectl({"create", "namespace", shared}).exit_code, 0);
  auto field = [&](const std::string& name, const std::string& path) { return jsonpath(name, flux_ns, "{" + path + "}"); };
  auto ready = [&](const std::string& name, const std::string& what) { return field(name, std::string(kReady) + "." + what); };
  auto inventory = [&](const std::string& name) { return jsonpath(name, flux_ns, "{.status.inventory.entries[*].id}"); };

  auto good = apply();
  ASSERT_EQ(good.exit_code, 0) << good.out << good.err;
  const std::string revision = applied_revision(good.out, "test/app");
  ASSERT_EQ(revision.rfind("main@sha1:", 0), 0u) << good.out;
  ASSERT_EQ(ready("app", "status"), "True");
  ASSERT_EQ(ready("after", "status"), "True");
  const std::string app_inventory = inventory("app");

  // A manifest that is no object: the render fails, naming the file; the dependent waits.
  repo_.commit({{"apps/app/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: " + shared + "\n"}},
               "an object without a name");
  auto broken = apply();
  ASSERT_NE(broken.exit_code, 0) << broken.out << broken.err;
  EXPECT_EQ(ready("app", "status"), "False");
  EXPECT_EQ(ready("app", "reason"), "ReconciliationFailed");
  EXPECT_NE(ready("app", "message").find("apps/app/broken.yaml"), std::string::npos) << ready("app", "message");
  EXPECT_EQ(ready("app", "observedGeneration"), field("app", ".metadata.generation"));
  EXPECT_NE(ready("app", "lastTransitionTime"), "");
  // What was applied last is still what the cluster holds.
  EXPECT_EQ(field("app", ".status.lastAppliedRevision"), revision);
  EXPECT_EQ(inventory("app"), app_inventory);
  EXPECT_EQ(ready("after", "status"), "False");
  EXPECT_EQ(ready("after", "reason"), "DependencyNotReady");
  EXPECT_NE(ready("after", "message").find("(dependsOn)"), std::string::npos) << ready("after", "message");
  EXPECT_EQ(field("after", ".status.lastAppliedRevision"), revision);

  // Fixed in Git: Ready again, at the new revision.
  repo_.commit({{"apps/app/broken.yaml", config_map("fixed", shared, "two")}}, "name the object");
  auto fixed = apply();
  ASSERT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  const std::string fixed_revision = applied_revision(fixed.out, "test/app");
  ASSERT_EQ(fixed_revision.rfind("main@sha1:", 0), 0u) << fixed.out;
  ASSERT_NE(fixed_revision, revision);
  for (const std::string name : {"app", "after"}) {
    EXPECT_EQ(ready(name, "status"), "True") << name;
    EXPECT_EQ(ready(name, "reason"), "ReconciliationSucceeded") << name;
    EXPECT_EQ(field(name, ".status.lastAppliedRevision"), fixed_revision) << name;
  }
  EXPECT_NE(ready("app", "lastTransitionTime"), "");

  // The cluster refuses the apply (its namespace is gone), then takes it again, at the same revision:
  // Ready=False, then Ready=True though this revision was written as Ready before.
  ASSERT_EQ(kubectl({"delete", "namespace", shared, "--wait=true", "--timeout=120s"}).exit_code, 0);
  auto refused = apply();
  ASSERT_NE(refused.exit_code, 0) << refused.out << refused.err;
  EXPECT_EQ(ready("app", "status"), "False");
  EXPECT_EQ(ready("app", "reason"), "ReconciliationFailed");
  EXPECT_NE(ready("app", "message").find(shared), std::string::npos) << ready("app", "message");
  ASSERT_EQ(kubectl({"create", "namespace", shared}).exit_code, 0);
  auto again = apply();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(applied_revision(again.out, "test/app"), fixed_revision);
  EXPECT_EQ(ready("app", "status"), "True");
  EXPECT_EQ(field("app", ".status.lastAppliedRevision"), fixed_revision);

  kubectl({"delete", "namespace", shared, own, flux_ns, "--wait=false"});
}
