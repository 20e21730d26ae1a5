// End to end: the status of Flux Kustomization objects written by driftless,
// so `kubectl get kustomizations` and `flux get kustomizations` show what it
// applied. A cluster folder (Git over HTTP) declares two Kustomizations; the
// real kube-apiserver first serves no Kustomization kind (nothing written,
// one line says so), then a minimal Kustomization CRD with the status
// subresource, and one of the two objects exists there (as Flux left it).
// After `driftless apply` that object shows Ready=True with the revision and
// Flux's inventory; a second apply writes nothing; a commit that changes its
// folder writes the new revision. Serial: the CRD is cluster-wide, and the
// flux-kube test checks that no Flux CRD reaches the cluster.
#include <gtest/gtest.h>

#include <random>

#include "crd_fixture.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

constexpr const char* kCrdName = "kustomizations.kustomize.toolkit.fluxcd.io";

std::string kustomization(const std::string& name, const std::string& ns, const std::string& path) {
  return "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  interval: 1h\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
         "    namespace: flux-system\n  path: " + path + "\n  prune: true\n";
}

std::string config_map(const std::string& name, const std::string& ns, const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\ndata:\n  value: " + value + "\n";
}

}  // namespace

TEST(FluxStatus, AppliedKustomizationsShowReadyTheRevisionAndTheirInventoryWrittenOnlyWhenChanged) {
  auto env = require_env();
  ASSERT_FALSE(env["KUBECONFIG"].empty() || env["KUBECTL"].empty()) << "tests/env env file";
  TempDir work;
  const std::string run_id = std::to_string(std::random_device{}() % 1000000);
  const std::string flux_ns = "flux-ks-" + run_id;  // where the Kustomization objects live
  const std::string apps = "flux-status-" + run_id;
  const std::string reader = apps + ":reader";      // a ClusterRole name with a colon, as RBAC names have
  auto kubectl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"]});
    return run(args);
  };
  ASSERT_EQ(kubectl({"delete", "customresourcedefinition", kCrdName, "--ignore-not-found", "--wait=true"}).exit_code, 0);

  TestRepo repo("flux-status-e2e");
  const std::string cluster = "clusters/test/";
  auto web_files = [&](const std::string& value) {
    return std::map<std::string, std::string>{
        {"apps/web/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + apps + "\n"},
        {"apps/web/settings.yaml", config_map("settings", apps, value)},
        {"apps/web/reader.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: " + reader +
                                     "\nrules:\n  - {apiGroups: [''], resources: [configmaps], verbs: [get]}\n"}};
  };
  auto files = web_files("one");
  files[cluster + "flux-system/gotk-sync.yaml"] =
      "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
      "  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: ssh://git@github.com/acme/fleet\n" +
      kustomization("flux-system", "flux-system", "./clusters/test");
  files[cluster + "apps.yaml"] = kustomization("web", flux_ns, "./apps/web") + kustomization("absent", flux_ns, "./apps/other");
  files["apps/other/other.yaml"] = config_map("other", apps, "two");
  repo.commit(files, "a Flux cluster folder");

  write_file(work / "password", env["GIT_HTTP_PASSWORD"]);
  write_file(work / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " +
                 env["GIT_HTTP_URL"] + repo.url_path() + ", ref: {branch: main}, auth: {username: " + env["GIT_HTTP_USER"] +
                 ", passwordFile: password}}\npipelines:\n- {name: test, source: fleet, path: clusters/test, renderers: "
                 "[{type: auto, childRenderers: []}], sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + "}}\n");
  write_file(work / "lsan.supp", libgit2_leak_suppressions);
  const std::map<std::string, std::string> sanitizer_env{{"LSAN_OPTIONS", "suppressions=" + (work / "lsan.supp").string()}};
  auto apply = [&] {
    return run_driftless({"--config", (work / "driftless.yaml").string(), "--state-dir", (work / "state").string(),
                          "--plugin-dir", plugin_dir().string(), "apply"},
                         sanitizer_env);
  };

  // No Kustomization kind served: the pipelines run, nothing is written, one line says so.
  auto plain = apply();
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_NE(plain.err.find("clusters/test/apps.yaml:2: info: renderer 'auto' (stage 1 of 1): the cluster serves no "
                           "Kustomization kind of "
                           "kustomize.toolkit.fluxcd.io: the status of the 2 Kustomization(s)"),
            std::string::npos)
      << plain.err;
  EXPECT_EQ(plain.err.find("Kustomization status written"), std::string::npos) << plain.err;

  // The CRD, and the web Kustomization as Flux left it in the cluster (driftless never creates one).
  write_file(work / "crd.yaml", status_crd("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", "v1"));
  ASSERT_EQ(kubectl({"apply", "-f", (work / "crd.yaml").string()}).exit_code, 0);
  ASSERT_TRUE(eventually([&] { return kubectl({"get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A"}).exit_code == 0; },
                         std::chrono::seconds(30)));
  kubectl({"create", "namespace", flux_ns});
  write_file(work / "web.yaml", kustomization("web", flux_ns, "./apps/web"));
  ASSERT_EQ(kubectl({"apply", "-f", (work / "web.yaml").string()}).exit_code, 0);
  auto jsonpath = [&](const std::string& template_text) {
    return kubectl({"get", "kustomizations.kustomize.toolkit.fluxcd.io", "web", "-n", flux_ns, "-o", "jsonpath=" + template_text}).out;
  };
  auto field = [&](const std::string& path) { return jsonpath("{" + path + "}"); };

  auto applied = apply();
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  const auto at = applied.out.find("test/web: ok at ");
  ASSERT_NE(at, std::string::npos) << applied.out;
  const std::string revision = applied.out.substr(at + 16, applied.out.find(',', at) - at - 16);
  ASSERT_EQ(revision.rfind("main@sha1:", 0), 0u) << revision;
  EXPECT_EQ(field(R"(.status.conditions[?(@.type=="Ready")].status)"), "True");
  EXPECT_EQ(field(R"(.status.conditions[?(@.type=="Ready")].reason)"), "ReconciliationSucceeded");
  EXPECT_EQ(field(R"(.status.conditions[?(@.type=="Ready")].message)"), "Applied revision: " + revision);
  EXPECT_EQ(field(".status.lastAppliedRevision"), revision);
  EXPECT_EQ(field(".status.lastAttemptedRevision"), revision);
  EXPECT_EQ(field(".status.observedGeneration"), field(".metadata.generation"));
  // Flux's inventory: "<namespace>_<name>_<group>_<kind>" and the version, sorted; a colon becomes "__".
  EXPECT_EQ(jsonpath(R"({range .status.inventory.entries[*]}{.id} {.v};{end})"),
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
  const std::string transition = field(R"(.status.conditions[?(@.type=="Ready")].lastTransitionTime)");
  repo.commit(web_files("changed"), "change the web folder");
  auto changed = apply();
  ASSERT_EQ(changed.exit_code, 0) << changed.out << changed.err;
  const auto changed_at = changed.out.find("test/web: ok at ");
  ASSERT_NE(changed_at, std::string::npos) << changed.out;
  const std::string new_revision = changed.out.substr(changed_at + 16, changed.out.find(',', changed_at) - changed_at - 16);
  EXPECT_NE(new_revision, revision);
  EXPECT_EQ(field(".status.lastAppliedRevision"), new_revision);
  EXPECT_EQ(field(R"(.status.conditions[?(@.type=="Ready")].lastTransitionTime)"), transition);

  kubectl({"delete", "namespace", apps, flux_ns, "--wait=false"});
  kubectl({"delete", "clusterrole", reader, "--wait=false"});
  EXPECT_EQ(kubectl({"delete", "customresourcedefinition", kCrdName, "--wait=true"}).exit_code, 0);
}
