// What the helmrelease tests share: a Helm chart repository served over HTTP
// on loopback, a fleet folder applied with `driftless apply` (path source,
// yaml + helmrelease renderers, kube sink), and helm/kubectl of tests/env.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chart_repository.hpp"
#include "source_fixture.hpp"
#include "support.hpp"

namespace driftless::test {

/// kubectl of tests/env against the test cluster.
CommandResult kubectl(std::vector<std::string> args);

/// The small "web" chart the tests install: one ConfigMap showing the
/// values `color` and `greeting` and the chart version.
std::map<std::string, std::string> web_chart_templates();

/// `prefix`-<this process's id>: names that parallel test runs do not share.
std::string unique(const std::string& prefix);

/// A Flux HelmRepository "charts" in `ns` serving `url`.
std::string helm_repository_object(const std::string& ns, const std::string& url, const std::string& interval = "10m");

/// A Flux v2 HelmRelease of chart `chart` `version` from the HelmRepository "charts"; `extra_spec` is added to its spec.
std::string helm_release_object(const std::string& ns, const std::string& name, const std::string& chart, const std::string& version,
                                const std::string& extra_spec = "");

/// A tenant of the test cluster: the kube sink impersonates `user`, whose
/// RoleBinding allows what it needs in `ns` only (tests/env: RESTRICTED_USER
/// with the `admin` ClusterRole in RESTRICTED_NAMESPACE).
struct Tenant {
  std::string user;
  std::string ns;
};

/// A fleet folder (app/) applied through one pipeline: with a Namespace the
/// fleet creates and deletes, or in the existing namespace of a tenant.
class HelmFleet {
 public:
  /// `pipeline` doubles as the namespace; `renderer_extra` is added to the helmrelease block;
  /// `interval` is the source's (for the daemon).
  explicit HelmFleet(const std::string& pipeline, const std::string& renderer_extra = "", const std::string& interval = "1h");
  /// A fleet in `tenant`'s namespace whose kube sink impersonates `tenant.user`. Its
  /// folder starts with a ConfigMap in that namespace (a tenant may not apply
  /// a Namespace); afterwards only the pipeline's releases and the ConfigMaps and
  /// Secrets labelled with driftless.dev/pipeline=<pipeline> are removed.
  HelmFleet(const std::string& pipeline, const Tenant& tenant, const std::string& interval = "1h");
  ~HelmFleet();
  void write(const std::string& file, const std::string& content);
  void remove(const std::string& file);
  CommandResult apply();
  CommandResult diff();
  /// `driftless run` (the daemon) on this fleet, its API on a free port.
  std::unique_ptr<BackgroundProcess> start_daemon();
  /// Every helm command line the plugin ran so far (through a logging wrapper).
  std::vector<std::string> helm_calls() const;
  /// `driftless <args>` with this fleet's config, plugins and state folder; `env` added to the environment.
  CommandResult driftless(std::vector<std::string> args, const std::map<std::string, std::string>& env = {});
  /// A file of the fleet's own folder (driftless.yaml).
  std::filesystem::path path(const std::string& file) const { return dir_ / file; }
  const std::string& ns() const { return ns_; }
  const std::string& pipeline() const { return pipeline_; }

 private:
  void write_config(const std::string& renderer_extra, const std::string& sink_extra, const std::string& interval);
  TempDir dir_;
  std::string pipeline_;
  std::string ns_;
  bool owns_namespace_ = true;
};

/// Revisions in `helm history` of a release (0 when it does not exist).
int revisions(const std::string& release, const std::string& ns);
/// `helm get values --all -o json` of a release, as JSON text.
std::string deployed_values(const std::string& release, const std::string& ns);
/// data.<key> of a ConfigMap ("" when missing).
std::string config_map_value(const std::string& name, const std::string& ns, const std::string& key);

}  // namespace driftless::test
