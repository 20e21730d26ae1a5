// What the helmrelease renderer knows about one Helm release once a
// HelmRelease object is read, its chart resolved and its values merged: all
// the release action needs to install it, without going back to the render.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"

namespace driftless::helmrelease {

struct ValuesInputs;

/// How helm runs one phase (install of a new release, upgrade of an existing one).
struct PhaseOptions {
  bool wait = true;
  bool wait_for_jobs = true;
  bool disable_hooks = false;
  bool skip_crds = false;  ///< --skip-crds: leave the chart's crds/ folder alone
  bool force = false;
  bool cleanup_on_fail = false;
  bool remediate = false;  ///< --atomic: roll back (upgrade) or uninstall (install) on failure
  std::chrono::seconds timeout{300};
};

/// Where a chart comes from, before it is fetched.
struct ChartRequest {
  enum class Kind { helm_repository, git, oci };
  Kind kind = Kind::helm_repository;
  std::string url;             ///< repository URL (HTTP(S) index, Git, or the chart's full oci:// reference)
  std::string chart;           ///< chart name (repository, OCI) or path in the Git tree
  std::string version = "*";   ///< semver range (repository and OCI charts) or an OCI tag
  bool plain_http = false;     ///< OCI over http://: only for a loopback registry marked insecure
  Value git_ref;               ///< source-git `ref` block (git charts)
  std::string username;        ///< basic auth for the repository; secret
  std::string password;        ///< secret: never logged
  bool pass_credentials = false;  ///< send credentials to chart URLs on other hosts
  std::chrono::milliseconds timeout{60'000};
  /// How often the source is looked at again (its spec.interval) when what it
  /// gives can change without Git changing: a version range, a Git branch.
  /// Zero for an exact chart version.
  std::chrono::seconds refresh{0};
};

/// "host:port" of an "oci://host:port/path" reference.
inline std::string oci_host(const std::string& url) {
  const std::string rest = url.rfind("oci://", 0) == 0 ? url.substr(6) : url;
  return rest.substr(0, rest.find('/'));
}

/// A chart on local disk, named by its content.
struct ResolvedChart {
  std::filesystem::path path;  ///< a .tgz or a chart folder in the plugin's cache
  std::string name;
  std::string version;
  std::string digest;          ///< sha256 of the archive, or the Git folder's content id
};

/// One release to keep installed.
struct Release {
  std::string object;        ///< "HelmRelease/ns/name" of the HelmRelease
  std::string api_version;   ///< of the HelmRelease ("helm.toolkit.fluxcd.io/v2", "helm.fluxcd.io/v1")
  std::string object_namespace;  ///< of the HelmRelease object
  std::string object_name;
  Provenance origin;         ///< where the HelmRelease was read
  std::string name;          ///< Helm release name
  std::string namespace_name;  ///< where Helm installs it and keeps its history
  ResolvedChart chart;
  Value values;              ///< merged values; may hold secrets: never logged
  /// Set when the values also come from the cluster: then `values`, `secret_texts`
  /// and `digest` are filled by the after-apply step (values.hpp).
  std::shared_ptr<const ValuesInputs> values_inputs;
  std::vector<std::string> secret_texts;  ///< strings from Secrets, masked in helm output
  std::string digest;        ///< sha256 of the chart digest and the merged values
  bool suspended = false;    ///< neither installed, upgraded nor uninstalled
  bool create_namespace = false;
  bool keep_history_on_uninstall = false;
  int max_history = 5;       ///< 0 = unlimited
  PhaseOptions install;
  PhaseOptions upgrade;
  std::vector<std::string> depends_on;  ///< `object` ids of releases that go first
  int level = 0;             ///< installation round: after every release it depends on

  /// "namespace/name": the release's identity in the cluster.
  std::string key() const { return namespace_name + "/" + name; }
};

}  // namespace driftless::helmrelease
