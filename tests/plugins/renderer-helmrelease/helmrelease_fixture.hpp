// What the helmrelease tests share: a Helm chart repository served over HTTP
// on loopback, a fleet folder applied with `driftless apply` (path source,
// yaml + helmrelease renderers, kube sink), and helm/kubectl of tests/env.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "source_fixture.hpp"
#include "support.hpp"

namespace driftless::test {

/// tests/env, read once.
std::map<std::string, std::string>& helm_env();

/// helm of tests/env against the test cluster, with a private HOME.
CommandResult helm(std::vector<std::string> args);
/// kubectl of tests/env against the test cluster.
CommandResult kubectl(std::vector<std::string> args);

/// A chart repository: charts packaged with `helm package`, indexed with
/// `helm repo index`, served by python3's http.server on 127.0.0.1.
class ChartRepository {
 public:
  ChartRepository();
  /// Packages chart `name` `version` with `templates` (file -> text),
  /// `values` (values.yaml) and more `files` at the chart's root, and
  /// re-indexes the repository.
  void add(const std::string& name, const std::string& version, const std::map<std::string, std::string>& templates,
           const std::string& values, const std::map<std::string, std::string>& files = {});
  /// Pushes the archive add() made of `name` `version` to the OCI registry of
  /// tests/env as <OCI_REGISTRY_URL>/<repository>/<name> (with its credentials).
  void push_oci(const std::string& name, const std::string& version, const std::string& repository);
  /// "http://127.0.0.1:PORT".
  const std::string& url() const { return url_; }

 private:
  TempDir dir_;
  std::unique_ptr<BackgroundProcess> server_;
  std::string url_;
};

/// The small "web" chart the tests install: one ConfigMap showing the
/// values `color` and `greeting` and the chart version.
std::map<std::string, std::string> web_chart_templates();

/// A fleet folder (app/) with a Namespace, applied through one pipeline.
class HelmFleet {
 public:
  /// `pipeline` doubles as the namespace; `renderer_extra` is added to the helmrelease block;
  /// `interval` is the source's (for the daemon).
  explicit HelmFleet(const std::string& pipeline, const std::string& renderer_extra = "", const std::string& interval = "1h");
  ~HelmFleet();
  void write(const std::string& file, const std::string& content);
  void remove(const std::string& file);
  CommandResult apply();
  CommandResult diff();
  /// `driftless run` (the daemon) on this fleet, its API on a free port.
  std::unique_ptr<BackgroundProcess> start_daemon();
  /// Every helm command line the plugin ran so far (through a logging wrapper).
  std::vector<std::string> helm_calls() const;
  const std::string& ns() const { return ns_; }

 private:
  CommandResult driftless(const std::string& command);
  TempDir dir_;
  std::string ns_;
};

/// Revisions in `helm history` of a release (0 when it does not exist).
int revisions(const std::string& release, const std::string& ns);
/// `helm get values --all -o json` of a release, as JSON text.
std::string deployed_values(const std::string& release, const std::string& ns);
/// data.<key> of a ConfigMap ("" when missing).
std::string config_map_value(const std::string& name, const std::string& ns, const std::string& key);

}  // namespace driftless::test
