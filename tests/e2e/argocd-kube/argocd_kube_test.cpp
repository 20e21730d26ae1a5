// End to end: an Argo CD style repository, unchanged: an app of apps (apps/)
// with a plain folder app (a PreSync hook Job with generateName, waves,
// CreateNamespace=true into an absent namespace), a Helm app with valueFiles,
// parameters and two dependencies (a chart of a Helm repository, as Argo CD's
// helm-dependency example has, and a file:// chart of the repository), built
// as `helm dependency build` builds them, a kustomize app and a nested app of
// apps; pushed to the Git HTTP server and
// applied by `driftless apply` to the real kube-apiserver. The Application
// CRD is served, so an Application that reached the sink would be created.
// Then Applications whose sources are not the pipeline's repository: a chart
// of a private Helm repository (made by the real helm; the config lends its
// credentials) and a folder of another Git repository (over git://), fetched
// only where the config allows it. And a multi-source Application: a chart
// of a Helm repository with a values file of the pipeline's repository.
#include <gtest/gtest.h>

#include <random>

#include "chart_repository.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

// Argo CD's Application CRD, its schema left open.
const char* kApplicationCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: applications.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {kind: Application, plural: applications, singular: application, listKind: ApplicationList}
  versions: [{name: v1alpha1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
)";

std::string application(const std::string& name, const std::string& repo_url, const std::string& ns, const std::string& wave,
                        const std::string& source, const std::string& options = "", const std::string& revision = "HEAD") {
  return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
         "\n  namespace: argocd\n  annotations: {argocd.argoproj.io/sync-wave: \"" + wave + "\"}\n"
         "  finalizers: [resources-finalizer.argocd.argoproj.io]\nspec:\n  project: default\n"
         "  destination: {server: 'https://kubernetes.default.svc', namespace: " + ns + "}\n"
         "  source:\n    repoURL: " + repo_url + "\n    targetRevision: " + revision + "\n" + source +
         "  syncPolicy:\n    automated: {prune: true, selfHeal: true}\n    syncOptions: [" + options + "]\n";
}

// Runs `driftless apply` on `config` (in `work`); stdout and stderr together, and the exit code.
CommandResult apply_config(const TempDir& work, const std::string& config) {
  write_file(work / "driftless.yaml", config);
  write_file(work / "lsan.supp", libgit2_leak_suppressions);
  return run_driftless({"--config", (work / "driftless.yaml").string(), "--state-dir", (work / "state").string(),
                        "--plugin-dir", plugin_dir().string(), "apply"},
                       {{"LSAN_OPTIONS", "suppressions=" + (work / "lsan.supp").string()}});
}

// The data of the ConfigMap `name` in `ns` as YAML, or why it cannot be read.
std::string configmap_data(std::map<std::string, std::string>& env, const std::string& name, const std::string& ns) {
  auto got = run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "get", "configmap", name, "-n", ns, "-o", "json"});
  auto object = parse_json(got.out);
  return object.ok() && object->find("data") ? to_yaml(*object->find("data")) : "missing: " + got.err;
}

}  // namespace

TEST(ArgocdKube, AnAppOfAppsRepositoryIsAppliedUnchangedAndNoApplicationReachesTheCluster) {
  auto env = require_env();
  TempDir work;
  const std::string id = std::to_string(std::random_device{}());
  const std::string guestbook_ns = "gb-" + id, chart_ns = "hg-" + id, nested_ns = "nest-" + id, kustomize_ns = "kg-" + id;
  auto kubectl = [&](std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"]});
    if (input.empty()) return run(args);
    write_file(work / "stdin.yaml", input);
    args.insert(args.end(), {"-f", (work / "stdin.yaml").string()});
    return run(args);
  };
  ASSERT_EQ(kubectl({"apply"}, kApplicationCrd).exit_code, 0);
  ASSERT_EQ(kubectl({"wait", "--for=condition=Established", "crd/applications.argoproj.io", "--timeout=60s"}).exit_code, 0);
  ASSERT_EQ(kubectl({"create", "namespace", chart_ns}).exit_code, 0);
  ASSERT_EQ(kubectl({"create", "namespace", nested_ns}).exit_code, 0);

  ChartRepository charts;
  charts.add("redis-lite", "1.2.0",
             {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-redis}\n"
                          "data: {greeting: {{ .Values.greeting | quote }}}\n"}},
             "greeting: hello\n");

  TestRepo repo("argocd-e2e");
  const std::string url = env["GIT_HTTP_URL"] + repo.url_path();
  repo.commit(
      {{"apps/guestbook.yaml",
        application("guestbook", url, guestbook_ns, "0", "    path: guestbook\n", "CreateNamespace=true, ServerSideApply=true")},
       {"apps/helm-guestbook.yaml",
        application("helm-guestbook", url, chart_ns, "1",
                    "    path: helm-guestbook\n    helm:\n      valueFiles: [values-production.yaml]\n"
                    "      parameters: [{name: image.tag, value: '0.2'}]\n")},
       {"apps/more-apps.yaml", application("more-apps", url, nested_ns, "2", "    path: more-apps\n")},
       {"apps/kustomize-guestbook.yaml",
        application("kustomize-guestbook", url, kustomize_ns, "1",
                    "    path: kustomize-guestbook\n    kustomize:\n      namePrefix: prod-\n"
                    "      images: ['gcr.io/heptio-images/ks-guestbook-demo:0.3']\n",
                    "CreateNamespace=true")},
       {"kustomize-guestbook/kustomization.yaml", "resources: [guestbook-ui-deployment.yaml]\n"},
       {"kustomize-guestbook/guestbook-ui-deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kustomize-guestbook-ui}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: kustomize-guestbook-ui}}\n  template:\n    metadata: {labels: {app: kustomize-guestbook-ui}}\n"
        "    spec:\n      containers:\n      - name: guestbook-ui\n        image: \"gcr.io/heptio-images/ks-guestbook-demo:0.1\"\n"
        "        ports: [{containerPort: 80}]\n"},
       {"guestbook/guestbook-ui.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook-ui}\ndata: {title: guestbook}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook-late\n  annotations: {argocd.argoproj.io/sync-wave: \"5\"}\n"},
       {"guestbook/migrate-job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: upgrade-sql-schema-\n"
        "  annotations: {argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/hook-delete-policy: BeforeHookCreation}\n"
        "spec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n"
        "      containers: [{name: upgrade-sql-schema, image: alpine:latest, command: [sleep, '1']}]\n"},
       {"helm-guestbook/Chart.yaml",
        "apiVersion: v2\nname: helm-guestbook\nversion: 0.1.0\ndependencies:\n"
        "- {name: redis-lite, version: \"~1.2.0\", repository: \"" + charts.url() + "\"}\n"
        "- {name: guestbook-common, version: 0.1.0, repository: \"file://../guestbook-common\"}\n"},
       {"helm-guestbook/values.yaml", "service: {type: ClusterIP}\nimage: {repository: gcr.io/heptio-images/ks-guestbook-demo, tag: '0.1'}\n"},
       {"helm-guestbook/values-production.yaml", "service: {type: LoadBalancer}\nredis-lite: {greeting: production}\n"},
       {"guestbook-common/Chart.yaml", "apiVersion: v2\nname: guestbook-common\nversion: 0.1.0\n"},
       {"guestbook-common/templates/labels.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-common}\ndata: {chart: {{ .Chart.Name }}}\n"},
       {"helm-guestbook/templates/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-settings}\n"
        "data:\n  service: {{ .Values.service.type }}\n  image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n"},
       {"more-apps/nested.yaml", application("nested", url, nested_ns, "0", "    path: nested\n")},
       {"nested/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nested}\ndata: {level: two}\n"}},
      "an app of apps as Argo CD runs it");

  const std::string parent = "argocd-" + id;
  write_file(work / "password", env["GIT_HTTP_PASSWORD"]);
  auto applied = apply_config(work, "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " + url +
                                 ", ref: {branch: main}, auth: {username: " + env["GIT_HTTP_USER"] + ", passwordFile: password}}\n"
                                 "pipelines:\n- name: " + parent + "\n  source: fleet\n  path: apps\n"
                                 "  renderers: [{type: auto, helmPath: " + env["HELM"] + ", kustomizePath: " + env["KUSTOMIZE"] +
                                 ", childStageKeys: {helm: {helmPath: " + env["HELM"] + "}}}]\n"
                                 "  sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + "}\n");
  const std::string output = applied.out + applied.err;
  ASSERT_EQ(applied.exit_code, 0) << output;
  // Waves: each Application's pipeline runs after those of the lower wave.
  const auto guestbook_ran = output.find(parent + "/guestbook: ok");
  const auto chart_ran = output.find(parent + "/helm-guestbook: ok");
  const auto nested_ran = output.find(parent + "/more-apps/nested: ok");
  ASSERT_NE(guestbook_ran, std::string::npos) << output;
  ASSERT_NE(chart_ran, std::string::npos) << output;
  ASSERT_NE(nested_ran, std::string::npos) << output;
  EXPECT_LT(guestbook_ran, chart_ran) << output;
  EXPECT_LT(chart_ran, output.find(parent + "/more-apps: ok")) << output;

  auto data = [&](const std::string& name, const std::string& ns) { return configmap_data(env, name, ns); };
  EXPECT_EQ(data("guestbook-ui", guestbook_ns), "title: guestbook\n") << "created its absent namespace (CreateNamespace=true)";
  EXPECT_EQ(kubectl({"get", "configmap", "guestbook-late", "-n", guestbook_ns}).exit_code, 0) << "wave 5 of the app";
  EXPECT_EQ(data("helm-guestbook-settings", chart_ns), "image: gcr.io/heptio-images/ks-guestbook-demo:0.2\nservice: LoadBalancer\n")
      << "values-production.yaml, relative to the app's folder, and the parameter over it; the release named after the app";
  EXPECT_EQ(data("helm-guestbook-redis", chart_ns), "greeting: production\n")
      << "the dependency of the Helm repository, built, with the parent's values for it\n" << output;
  EXPECT_EQ(data("helm-guestbook-common", chart_ns), "chart: guestbook-common\n") << "the file:// dependency\n" << output;
  EXPECT_EQ(data("nested", nested_ns), "level: two\n") << "an Application declared by an Application";
  auto image = kubectl({"get", "deployment", "prod-kustomize-guestbook-ui", "-n", kustomize_ns, "-o",
                        "jsonpath={.spec.template.spec.containers[0].image}"});
  EXPECT_EQ(image.out, "gcr.io/heptio-images/ks-guestbook-demo:0.3") << image.err << "\nkustomize.images and namePrefix\n" << output;
  auto jobs = kubectl({"get", "jobs", "-n", guestbook_ns, "-o", "jsonpath={.items[*].metadata.name}"});
  EXPECT_EQ(jobs.out.rfind("upgrade-sql-schema-", 0), 0u) << jobs.out << jobs.err << "\n" << output;
  auto applications = kubectl({"get", "applications.argoproj.io", "--all-namespaces", "-o", "name"});
  EXPECT_EQ(applications.exit_code, 0) << applications.err;
  EXPECT_EQ(applications.out, "") << "no Application was created";

  for (const auto& ns : {guestbook_ns, chart_ns, nested_ns, kustomize_ns}) kubectl({"delete", "namespace", ns, "--wait=false"});
  kubectl({"delete", "crd", "applications.argoproj.io", "--wait=false"});
}

TEST(ArgocdKube, ChartsOfHelmRepositoriesAndFoldersOfOtherRepositoriesAreFetchedWhereTheConfigAllowsIt) {
  auto env = require_env();
  TempDir work;
  const std::string id = std::to_string(std::random_device{}());
  const std::string chart_ns = "chart-" + id, team_ns = "team-" + id;
  ChartRepository charts("charts-bot", "chart-token-" + id);  // private: the config lends its credentials
  charts.add("podinfo", "6.5.0",
             {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-podinfo}\n"
                          "data:\n  message: {{ .Values.message | quote }}\n  chart: {{ .Chart.Version | quote }}\n"}},
             "message: hello\n", {{"values-prod.yaml", "message: production\n"}});
  charts.add("podinfo", "6.6.0", {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: too-new}\n"}}, "message: new\n");

  TestRepo team("argocd-e2e-team");
  team.commit({{"deploy/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: team}\ndata: {owner: team-a}\n"}}, "the team's app");
  TestRepo fleet("argocd-e2e-sources");
  const std::string url = env["GIT_DAEMON_URL"] + fleet.url_path();
  fleet.commit({{"apps/podinfo.yaml",
                 application("podinfo", charts.url(), chart_ns, "0",
                             "    chart: podinfo\n    helm:\n      valueFiles: [values-prod.yaml]\n", "CreateNamespace=true",
                             "6.5.x")},
                {"apps/team.yaml", application("team", env["GIT_DAEMON_URL"] + team.url_path(), team_ns, "1",
                                               "    path: deploy\n", "CreateNamespace=true")}},
               "Applications of a chart and of another repository");

  auto config = [&](const std::string& allow) {
    return "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " + url +
           ", ref: {branch: main}}\npipelines:\n- name: sources-" + id + "\n  source: fleet\n  path: apps\n" + allow +
           "  renderers: [{type: auto, helmPath: " + env["HELM"] + ", childStageKeys: {helm: {helmPath: " + env["HELM"] +
           "}, auto: {helmPath: " + env["HELM"] + "}}}]\n  sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + "}\n";
  };
  auto refused = apply_config(work, config(""));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("set allowDeclaredSources: true"), std::string::npos) << refused.out << refused.err;

  write_file(work / "chart-token", "chart-token-" + id + "\n");
  auto applied = apply_config(work, config("  allowDeclaredSources: true\n  declaredSourceAuth:\n"
                                           "  - {type: helm-chart, urlPrefix: '" + charts.url() + "', auth: {username: charts-bot, "
                                           "passwordFile: chart-token}}\n"));
  const std::string output = applied.out + applied.err;
  ASSERT_EQ(applied.exit_code, 0) << output;
  EXPECT_EQ(configmap_data(env, "podinfo-podinfo", chart_ns), "chart: 6.5.0\nmessage: production\n")
      << "the highest 6.5.x of the Helm repository, with its own values-prod.yaml\n" << output;
  EXPECT_EQ(configmap_data(env, "team", team_ns), "owner: team-a\n") << "the folder of the other repository at its default branch\n" << output;

  for (const auto& ns : {chart_ns, team_ns})
    run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "delete", "namespace", ns, "--wait=false"});
}

// A multi-source Application as Argo CD's docs show it: a chart of a Helm
// repository with a values file of the pipeline's own repository
// ($values/...), and a folder of that repository beside it, both applied
// into the Application's one namespace.
TEST(ArgocdKube, AChartOfAHelmRepositoryIsRenderedWithAValuesFileOfThePipelinesRepository) {
  auto env = require_env();
  TempDir work;
  const std::string id = std::to_string(std::random_device{}());
  const std::string ns = "multi-" + id;
  ChartRepository charts;
  charts.add("podinfo", "6.5.0",
             {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-podinfo}\n"
                          "data:\n  message: {{ .Values.message | quote }}\n  color: {{ .Values.ui.color | quote }}\n"}},
             "message: hello\nui: {color: blue}\n");

  TestRepo fleet("argocd-e2e-multi-source");
  const std::string url = env["GIT_DAEMON_URL"] + fleet.url_path();
  fleet.commit({{"apps/podinfo.yaml",
                 "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: podinfo, namespace: argocd}\nspec:\n"
                 "  destination: {server: 'https://kubernetes.default.svc', namespace: " + ns + "}\n"
                 "  syncPolicy: {automated: {prune: true, selfHeal: true}, syncOptions: [CreateNamespace=true]}\n"
                 "  sources:\n"
                 "  - repoURL: " + charts.url() + "\n    chart: podinfo\n    targetRevision: 6.5.0\n"
                 "    helm: {valueFiles: [$values/envs/prod/podinfo.yaml]}\n"
                 "  - {repoURL: '" + url + "', targetRevision: HEAD, path: extras, ref: values}\n"},
                {"envs/prod/podinfo.yaml", "message: from-git\n"},
                {"extras/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extras}\ndata: {beside: chart}\n"}},
               "a chart with values of this repository, and a folder beside it");

  const std::string parent = "multi-" + id;
  auto applied = apply_config(work, "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n- {name: fleet, type: git, url: " +
                                        url + ", ref: {branch: main}}\npipelines:\n- name: " + parent +
                                        "\n  source: fleet\n  path: apps\n  allowDeclaredSources: true\n"
                                        "  renderers: [{type: auto, childStageKeys: {helm: {helmPath: " + env["HELM"] + "}}}]\n"
                                        "  sink: {type: kube, kubeconfig: " + env["KUBECONFIG"] + "}\n");
  const std::string output = applied.out + applied.err;
  ASSERT_EQ(applied.exit_code, 0) << output;
  EXPECT_NE(output.find(parent + "/podinfo.1: ok"), std::string::npos) << "one pipeline per rendered source\n" << output;
  EXPECT_NE(output.find(parent + "/podinfo.2: ok"), std::string::npos) << output;
  EXPECT_EQ(configmap_data(env, "podinfo-podinfo", ns), "color: blue\nmessage: from-git\n")
      << "the chart's own values under the values file of the pipeline's repository\n" << output;
  EXPECT_EQ(configmap_data(env, "extras", ns), "beside: chart\n") << "the ref source's folder, rendered too\n" << output;

  run({env["KUBECTL"], "--kubeconfig", env["KUBECONFIG"], "delete", "namespace", ns, "--wait=false"});
}
