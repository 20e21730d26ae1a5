#include "helmrelease_fixture.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

namespace driftless::test {
namespace fs = std::filesystem;

CommandResult kubectl(std::vector<std::string> args) {
  args.insert(args.begin(), {helm_env()["KUBECTL"], "--kubeconfig", helm_env()["KUBECONFIG"]});
  return run(args);
}

std::map<std::string, std::string> web_chart_templates() {
  return {{"configmap.yaml",
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\ndata:\n"
           "  color: {{ .Values.color | quote }}\n  greeting: {{ .Values.greeting | default \"none\" | quote }}\n"
           "  chartVersion: {{ .Chart.Version | quote }}\n"}};
}

std::string unique(const std::string& prefix) { return prefix + "-" + std::to_string(::getpid() % 100000); }

std::string helm_repository_object(const std::string& ns, const std::string& url, const std::string& interval) {
  return "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: " + ns +
         "\nspec:\n  interval: " + interval + "\n  url: " + url + "\n";
}

std::string helm_release_object(const std::string& ns, const std::string& name, const std::string& chart, const std::string& version,
                                const std::string& extra_spec) {
  return "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: " + chart + "\n      version: \"" + version +
         "\"\n      sourceRef: {kind: HelmRepository, name: charts}\n" + extra_spec;
}

HelmFleet::HelmFleet(const std::string& pipeline, const std::string& renderer_extra, const std::string& interval)
    : pipeline_(pipeline), ns_(pipeline) {
  write_config(renderer_extra, "", interval);
  write("namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns_ + "\n");
}

HelmFleet::HelmFleet(const std::string& pipeline, const Tenant& tenant, const std::string& interval)
    : pipeline_(pipeline), ns_(tenant.ns), owns_namespace_(false) {
  write_config("", ", namespace: " + ns_ + ", impersonate: {user: " + tenant.user + "}", interval);
  write("marker.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + pipeline_ + "-marker\n  namespace: " + ns_ + "\n");
}

void HelmFleet::write_config(const std::string& renderer_extra, const std::string& sink_extra, const std::string& interval) {
  // helm through a wrapper that logs every command line, to count upgrades.
  write_file(dir_ / "helm-wrapper", "#!/bin/sh\necho \"$*\" >> " + (dir_ / "helm-calls.log").string() + "\nexec " +
                                        helm_env()["HELM"] + " \"$@\"\n");
  ::chmod((dir_ / "helm-wrapper").c_str(), 0755);
  write_file(dir_ / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\nsources:\n  - name: repo\n    type: path\n"
             "    path: repo\n    interval: " + interval + "\npipelines:\n  - name: " + pipeline_ + "\n    source: repo\n    path: app\n    renderers:\n"
             "      - {type: yaml}\n      - type: helmrelease\n        helmPath: helm-wrapper\n" + renderer_extra +
                 "    sink: {type: kube, kubeconfig: " + helm_env()["KUBECONFIG"] + ", healthTimeout: 60s" + sink_extra + "}\n");
}

HelmFleet::~HelmFleet() {
  // In a tenant's namespace, shared with other tests, only what this pipeline made.
  const std::string mine = "driftless.dev/pipeline=" + pipeline_;
  std::vector<std::string> list{"list", "-n", ns_, "-a", "-q"};
  if (!owns_namespace_) list.insert(list.end(), {"--selector", mine});
  auto listed = helm(list);
  std::istringstream names(listed.out);
  for (std::string name; std::getline(names, name);)
    if (!name.empty()) helm({"uninstall", name, "-n", ns_});
  if (owns_namespace_) {
    kubectl({"delete", "namespace", ns_, "--wait=false"});
    return;
  }
  kubectl({"delete", "configmaps,secrets", "-n", ns_, "-l", mine});
  kubectl({"delete", "configmap", "-n", ns_, "driftless-inventory-" + pipeline_});
}

void HelmFleet::write(const std::string& file, const std::string& content) { write_file(dir_ / "repo/app" / file, content); }
void HelmFleet::remove(const std::string& file) { fs::remove(dir_ / "repo/app" / file); }
CommandResult HelmFleet::apply() { return driftless({"apply", "--pipeline", pipeline_}); }
CommandResult HelmFleet::diff() { return driftless({"diff", "--pipeline", pipeline_}); }

CommandResult HelmFleet::driftless(std::vector<std::string> args, const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), {"--config", (dir_ / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string()});
  auto with_state = env;
  with_state["DRIFTLESS_STATE_DIR"] = (dir_ / "state").string();
  return run_driftless(args, with_state);
}

std::unique_ptr<BackgroundProcess> HelmFleet::start_daemon() {
  return std::make_unique<BackgroundProcess>(
      BackgroundProcess::driftless_argv({"--config", (dir_ / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string(), "run"}),
      std::map<std::string, std::string>{{"DRIFTLESS_STATE_DIR", (dir_ / "state").string()}}, dir_ / "daemon.log");
}

std::vector<std::string> HelmFleet::helm_calls() const {
  std::vector<std::string> calls;
  std::istringstream lines(read_file(dir_ / "helm-calls.log"));
  for (std::string line; std::getline(lines, line);) calls.push_back(line);
  return calls;
}

int revisions(const std::string& release, const std::string& ns) {
  auto history = helm({"history", release, "-n", ns, "-o", "json"});
  if (history.exit_code != 0) return 0;
  int count = 0;
  for (auto at = history.out.find("\"revision\""); at != std::string::npos; at = history.out.find("\"revision\"", at + 1)) ++count;
  return count;
}

std::string deployed_values(const std::string& release, const std::string& ns) {
  return helm({"get", "values", release, "-n", ns, "-o", "json"}).out;
}

std::string config_map_value(const std::string& name, const std::string& ns, const std::string& key) {
  return kubectl({"get", "configmap", name, "-n", ns, "-o", "jsonpath={.data." + key + "}"}).out;
}

}  // namespace driftless::test
