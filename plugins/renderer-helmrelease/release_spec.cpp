#include "release_spec.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <initializer_list>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/http.hpp"
#include "driftless/toolkit/semver.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "flux_fields.hpp"
#include "object_fields.hpp"

namespace driftless::helmrelease {
namespace {

constexpr const char* kFluxV2Group = "helm.toolkit.fluxcd.io";
constexpr const char* kFluxV1ApiVersion = "helm.fluxcd.io/v1";
constexpr const char* kSourceGroup = "source.toolkit.fluxcd.io";
constexpr std::size_t kMaxReleaseName = 53;  // Helm's limit
constexpr std::chrono::seconds kDefaultInterval = std::chrono::minutes(5);
constexpr const char* kHelmChartLayer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

// Reads the fields of one HelmRelease or source, collecting findings against it.
using Reader = renderers::ObjectFields;

// True when `url` starts with one of `schemes` ("https" matches "https://...").
bool has_scheme(const std::string& url, std::initializer_list<std::string_view> schemes) {
  return std::any_of(schemes.begin(), schemes.end(),
                     [&](std::string_view scheme) { return url.rfind(std::string(scheme) + "://", 0) == 0; });
}

// A Git URL from repository content names the network only: http, https or
// ssh as Flux allows, and git:// (a network transport too, which the git
// source serves), never file:// or a path of the driftless host. The
// helm-operator (`scp_form`) also took git@host:org/repo.
void require_git_url(Reader& r, const std::string& url, const std::string& field, bool scp_form) {
  if (url.empty() || has_scheme(url, {"http", "https", "ssh", "git"})) return;
  const auto at = url.find('@');
  const auto colon = url.find(':');
  const bool scp = at != std::string::npos && colon != std::string::npos && at < colon && url.find('/') > colon;
  if (scp_form && scp) return;
  r.error(field + " '" + redact_url(url) + "' is not an http://, https://, ssh:// or git:// URL" +
          (scp_form ? " (or user@host:path)" : "") + ": repository content may not name paths of the driftless host");
}

std::string namespace_or_default(const KubeObject& object) {
  std::string ns = object.namespace_name();
  return ns.empty() ? "default" : ns;
}

// Flux v2 shortens names longer than Helm allows the same way.
std::string shortened(const std::string& name) {
  if (name.size() <= kMaxReleaseName) return name;
  return name.substr(0, 40) + "-" + sha256_hex(name).substr(0, 12);
}

const KubeObject* find_object(const RenderIndex& index, const std::string& kind, const std::string& ns, const std::string& name) {
  auto it = index.find(render_index_key(kind, ns, name));
  return it == index.end() ? nullptr : it->second;
}

// The username and password for `host` in a kubernetes.io/dockerconfigjson Secret's JSON.
bool docker_credentials(const std::string& json, const std::string& host, ChartRequest& chart) {
  auto parsed = parse_json(json);
  if (!parsed.ok()) return false;
  const Value* entry = parsed->at_path({"auths", host});
  if (!entry || !entry->is_object()) return false;
  chart.username = entry->string_or("username");
  chart.password = entry->string_or("password");
  if (chart.username.empty()) {
    const auto decoded = base64_decode(entry->string_or("auth"));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return false;
    chart.username = decoded->substr(0, colon);
    chart.password = decoded->substr(colon + 1);
  }
  return !chart.username.empty() && !chart.password.empty();
}

// spec.insecure of an OCI source: plain HTTP, allowed only for a registry on this machine.
void read_insecure(Reader& r, const Value* spec, ChartRequest& chart) {
  if (!r.bool_at(spec, "insecure", "spec.insecure")) return;
  const std::string host = oci_host(chart.url);
  if (!is_loopback_host(host)) {
    r.error("spec.insecure: driftless speaks plain HTTP only to a registry on this machine (127.0.0.1, [::1], localhost), not to " + host);
    return;
  }
  chart.plain_http = true;
}

// Basic-auth credentials of a repository from a Secret in the same render.
void read_credentials(Reader& r, const KubeObject& repository, const Value* spec, const RenderIndex& index, ChartRequest& chart) {
  const Value* secret_ref = r.object_at(spec, "secretRef", "spec.secretRef");
  const std::string secret_name = r.string_at(secret_ref, "name", "spec.secretRef.name");
  if (secret_name.empty()) return;
  const std::string ns = namespace_or_default(repository);
  const KubeObject* secret = find_object(index, "Secret", ns, secret_name);
  if (!secret) {
    r.error("Secret " + ns + "/" + secret_name + " is not in this render; driftless reads repository credentials from the same render");
    return;
  }
  auto data = object_data(*secret);
  if (!data.ok()) {
    r.error(data.error().message);
    return;
  }
  if (auto docker = data->find(".dockerconfigjson"); docker != data->end() && chart.kind == ChartRequest::Kind::oci) {
    if (!docker_credentials(docker->second, oci_host(chart.url), chart))
      r.error("Secret " + ns + "/" + secret_name + " has no username and password for " + oci_host(chart.url) +
              " in .dockerconfigjson");
    return;
  }
  chart.username = (*data)["username"];
  chart.password = (*data)["password"];
  if (chart.username.empty() || chart.password.empty())
    r.error("Secret " + ns + "/" + secret_name + " needs both 'username' and 'password' for basic auth");
}

// A HelmRepository (HTTP(S) index) as the chart's source.
void read_helm_repository(const KubeObject& repository, const RenderIndex& index, ChartRequest& chart, std::vector<Diagnostic>& out) {
  Reader r(repository, out);
  const Value* spec = r.object_at(&repository.body, "spec", "spec");
  r.warn_unknown(spec, "spec", {"url", "type", "secretRef", "interval", "timeout", "passCredentials", "suspend", "insecure"});
  chart.url = r.string_at(spec, "url", "spec.url");
  const std::string type = r.string_at(spec, "type", "spec.type", "default");
  if (type == "oci") {
    chart.kind = ChartRequest::Kind::oci;
    if (chart.url.rfind("oci://", 0) != 0) r.error("spec.url of a HelmRepository of type oci must start with oci://");
    read_insecure(r, spec, chart);
  } else {
    chart.kind = ChartRequest::Kind::helm_repository;
    if (type != "default") r.error("spec.type must be default or oci");
    if (!has_scheme(chart.url, {"http", "https"})) r.error("spec.url must be an http:// or https:// chart repository URL");
    if (spec && spec->find("insecure")) r.warn("spec.insecure only applies to OCI repositories and is ignored");
  }
  chart.timeout = r.seconds_at(spec, "timeout", "spec.timeout", std::chrono::seconds(60));
  chart.refresh = r.seconds_at(spec, "interval", "spec.interval", kDefaultInterval);
  chart.pass_credentials = r.bool_at(spec, "passCredentials", "spec.passCredentials");
  read_credentials(r, repository, spec, index, chart);
}

// A Git repository's `ref` in source-git's terms.
Value git_ref(Reader& r, const Value* ref, const std::string& path) {
  Object out;
  for (const char* key : {"branch", "tag", "semver", "commit"}) {
    std::string text = r.string_at(ref, key, path + "." + key);
    if (!text.empty()) out.set(key, text);
  }
  if (out.empty()) out.set("branch", "master");  // Flux's default
  return Value(std::move(out));
}

// A GitRepository as the chart's source (fetched through the git source plugin).
void read_git_repository(const KubeObject& repository, ChartRequest& chart, std::vector<Diagnostic>& out) {
  Reader r(repository, out);
  const Value* spec = r.object_at(&repository.body, "spec", "spec");
  r.warn_unknown(spec, "spec", {"url", "ref", "interval", "timeout", "suspend"});
  chart.kind = ChartRequest::Kind::git;
  chart.url = r.string_at(spec, "url", "spec.url");
  const Value* ref = r.object_at(spec, "ref", "spec.ref");
  r.warn_unknown(ref, "spec.ref", {"branch", "tag", "semver", "commit"});
  chart.git_ref = git_ref(r, ref, "spec.ref");
  chart.timeout = r.seconds_at(spec, "timeout", "spec.timeout", std::chrono::seconds(60));
  chart.refresh = r.seconds_at(spec, "interval", "spec.interval", kDefaultInterval);
  if (chart.url.empty()) r.error("spec.url is required");
  require_git_url(r, chart.url, "spec.url", false);
}

// An OCIRepository holding a Helm chart (spec.chartRef), pulled with helm.
void read_oci_repository(const KubeObject& repository, const RenderIndex& index, ChartRequest& chart, std::vector<Diagnostic>& out) {
  Reader r(repository, out);
  const Value* spec = r.object_at(&repository.body, "spec", "spec");
  r.warn_unknown(spec, "spec", {"url", "ref", "secretRef", "insecure", "interval", "timeout", "suspend", "layerSelector", "provider"});
  chart.kind = ChartRequest::Kind::oci;
  chart.url = r.string_at(spec, "url", "spec.url");
  while (!chart.url.empty() && chart.url.back() == '/') chart.url.pop_back();
  if (chart.url.rfind("oci://", 0) != 0) r.error("spec.url must be an oci:// reference");
  chart.chart = chart.url.substr(chart.url.rfind('/') + 1);
  const Value* ref = r.object_at(spec, "ref", "spec.ref");
  r.warn_unknown(ref, "spec.ref", {"tag", "semver", "digest"});
  if (ref && ref->find("digest")) r.error("spec.ref.digest is not supported; name the chart version with spec.ref.tag or spec.ref.semver");
  const std::string semver = r.string_at(ref, "semver", "spec.ref.semver");
  chart.version = !semver.empty() ? semver : r.string_at(ref, "tag", "spec.ref.tag", "*");
  const Value* layer = r.object_at(spec, "layerSelector", "spec.layerSelector");
  r.warn_unknown(layer, "spec.layerSelector", {"mediaType", "operation"});
  if (r.string_at(layer, "mediaType", "spec.layerSelector.mediaType", kHelmChartLayer) != kHelmChartLayer)
    r.error(std::string("spec.layerSelector.mediaType: driftless installs Helm charts only (") + kHelmChartLayer + ")");
  if (r.string_at(spec, "provider", "spec.provider", "generic") != "generic")
    r.error("spec.provider: only generic (a secretRef or anonymous) is supported");
  read_insecure(r, spec, chart);
  chart.timeout = r.seconds_at(spec, "timeout", "spec.timeout", std::chrono::seconds(60));
  chart.refresh = r.seconds_at(spec, "interval", "spec.interval", kDefaultInterval);  // tags move: polled like Flux
  read_credentials(r, repository, spec, index, chart);
}

// Options of one phase from an install/upgrade block; `fallback_timeout` is spec.timeout.
PhaseOptions read_phase(Reader& r, const Value* block, const std::string& path, std::chrono::seconds fallback_timeout) {
  PhaseOptions phase;
  phase.timeout = r.seconds_at(block, "timeout", path + ".timeout", fallback_timeout);
  phase.wait = !r.bool_at(block, "disableWait", path + ".disableWait");
  phase.wait_for_jobs = !r.bool_at(block, "disableWaitForJobs", path + ".disableWaitForJobs");
  phase.disable_hooks = r.bool_at(block, "disableHooks", path + ".disableHooks");
  const Value* remediation = r.object_at(block, "remediation", path + ".remediation");
  r.warn_unknown(remediation, path + ".remediation", {"retries", "strategy", "ignoreTestFailures", "remediateLastFailure"});
  phase.remediate = r.int_at(remediation, "retries", path + ".remediation.retries", 0) > 0;
  const std::string strategy = r.string_at(remediation, "strategy", path + ".remediation.strategy", "rollback");
  if (strategy != "rollback") r.warn(path + ".remediation.strategy '" + strategy + "' is not supported; a failed upgrade is rolled back");
  // Flux 2.6's strategy: RemediateOnFailure (the default) remediates as above;
  // RetryOnFailure never remediates and tries again, which every failed
  // reconcile of driftless does, on the pipeline's backoff.
  const Value* chosen = r.object_at(block, "strategy", path + ".strategy");
  r.warn_unknown(chosen, path + ".strategy", {"name", "retryInterval"});
  const std::string name = r.string_at(chosen, "name", path + ".strategy.name", "RemediateOnFailure");
  if (name == "RetryOnFailure") {
    phase.remediate = false;
    if (!r.string_at(chosen, "retryInterval", path + ".strategy.retryInterval").empty())
      r.info(path + ".strategy.retryInterval is not used: driftless tries a failed release again when the pipeline is "
             "retried (its retryInterval, or the Kustomization's, else the daemon's backoff)");
  } else if (name != "RemediateOnFailure") {
    r.error(path + ".strategy.name '" + name + "' is not one of RemediateOnFailure, RetryOnFailure");
  }
  return phase;
}

// spec.chart.spec.valuesFiles (and the older valuesFile): files of the chart
// merged in order, beneath valuesFrom and values.
void read_values_files(Reader& r, const Value* chart_spec, ReleaseSpec& out) {
  std::vector<ValuesReference> files;
  auto add = [&](const std::string& path, const std::string& field) {
    ValuesReference ref;
    ref.kind = "ChartFile";
    ref.key = path;
    ref.field = field;
    files.push_back(std::move(ref));
  };
  const std::string single = r.string_at(chart_spec, "valuesFile", "spec.chart.spec.valuesFile");
  if (!single.empty()) add(single, "spec.chart.spec.valuesFile");
  if (const Value* list = chart_spec->find("valuesFiles"); list && list->is_array())
    for (std::size_t i = 0; i < list->as_array().size(); ++i) {
      const std::string field = "spec.chart.spec.valuesFiles[" + std::to_string(i) + "]";
      if (!list->as_array()[i].is_string()) r.error(field + " must be a string");
      else add(list->as_array()[i].as_string(), field);
    }
  out.values_from.insert(out.values_from.begin(), files.begin(), files.end());
}

// The source object a sourceRef or chartRef names: one of `kinds`, from the
// same render; nullptr after an error.
const KubeObject* referenced_source(Reader& r, const Value* ref, const std::string& field, const std::string& ns,
                                    const RenderIndex& index, std::initializer_list<std::string_view> kinds,
                                    const std::string& supported) {
  r.warn_unknown(ref, field, {"kind", "name", "namespace", "apiVersion"});
  const std::string kind = r.string_at(ref, "kind", field + ".kind");
  const std::string name = r.string_at(ref, "name", field + ".name");
  const std::string source_ns = r.string_at(ref, "namespace", field + ".namespace", ns);
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    r.error(field + ".kind '" + kind + "' is not supported (" + supported + ")");
    return nullptr;
  }
  const KubeObject* source = find_object(index, kind, source_ns, name);
  if (!source)
    r.error(kind + " " + source_ns + "/" + name + " is not in this render; driftless reads chart sources from the same render");
  return source;
}

// spec.chartRef: an OCIRepository of the same render holding the chart.
void read_chart_ref(Reader& r, const Value* ref, const std::string& ns, const RenderIndex& index, ChartRequest& chart,
                    std::vector<Diagnostic>& diagnostics) {
  const KubeObject* source = referenced_source(r, ref, "spec.chartRef", ns, index, {"OCIRepository"},
                                               "OCIRepository; for a HelmChart use spec.chart");
  if (source) read_oci_repository(*source, index, chart, diagnostics);
}

void read_v2(Reader& r, const KubeObject& object, const Value* spec, const RenderIndex& index, ReleaseSpec& out,
             std::vector<Diagnostic>& diagnostics) {
  r.warn_unknown(spec, "spec",
                 {"chart", "chartRef", "interval", "releaseName", "targetNamespace", "storageNamespace", "values", "valuesFrom",
                  "install", "upgrade", "uninstall", "suspend", "dependsOn", "timeout", "maxHistory", "driftDetection",
                  "test", "kubeConfig", "postRenderers", "persistentClient"});
  for (const char* refused : {"kubeConfig", "postRenderers"})
    if (spec->find(refused)) r.error(std::string("spec.") + refused + " is not supported by driftless");
  if (const Value* test = r.object_at(spec, "test", "spec.test"); r.bool_at(test, "enable", "spec.test.enable"))
    r.warn("spec.test is not supported: helm tests are not run");
  if (const Value* drift = r.object_at(spec, "driftDetection", "spec.driftDetection");
      r.string_at(drift, "mode", "spec.driftDetection.mode", "disabled") != "disabled")
    r.warn("spec.driftDetection is not supported: objects of the release changed by hand are corrected at the next upgrade only");

  Release& release = out.release;
  const std::string ns = namespace_or_default(object);
  const std::string target = r.string_at(spec, "targetNamespace", "spec.targetNamespace");
  release.namespace_name = target.empty() ? ns : target;
  const std::string storage = r.string_at(spec, "storageNamespace", "spec.storageNamespace");
  if (!storage.empty() && storage != release.namespace_name)
    r.warn("spec.storageNamespace is not supported: helm keeps the release history in the target namespace " + release.namespace_name);
  release.name = r.string_at(spec, "releaseName", "spec.releaseName");
  if (release.name.empty()) release.name = shortened(target.empty() ? object.name() : target + "-" + object.name());
  release.suspended = r.bool_at(spec, "suspend", "spec.suspend");
  release.max_history = static_cast<int>(r.int_at(spec, "maxHistory", "spec.maxHistory", 5));
  const auto timeout = r.seconds_at(spec, "timeout", "spec.timeout", std::chrono::minutes(5));

  const Value* install = r.object_at(spec, "install", "spec.install");
  r.warn_unknown(install, "spec.install",
                 {"crds", "skipCRDs", "createNamespace", "remediation", "strategy", "disableWait", "disableWaitForJobs",
                  "disableHooks", "timeout"});
  release.install = read_phase(r, install, "spec.install", timeout);
  const std::string install_crds = r.string_at(install, "crds", "spec.install.crds", "Create");
  release.install.skip_crds = install_crds == "Skip" || r.bool_at(install, "skipCRDs", "spec.install.skipCRDs");
  release.create_namespace = r.bool_at(install, "createNamespace", "spec.install.createNamespace");

  const Value* upgrade = r.object_at(spec, "upgrade", "spec.upgrade");
  r.warn_unknown(upgrade, "spec.upgrade",
                 {"crds", "remediation", "strategy", "disableWait", "disableWaitForJobs", "disableHooks", "force", "cleanupOnFail",
                  "timeout"});
  release.upgrade = read_phase(r, upgrade, "spec.upgrade", timeout);
  release.upgrade.force = r.bool_at(upgrade, "force", "spec.upgrade.force");
  release.upgrade.cleanup_on_fail = r.bool_at(upgrade, "cleanupOnFail", "spec.upgrade.cleanupOnFail");
  if (r.string_at(upgrade, "crds", "spec.upgrade.crds", "Skip") != "Skip")
    r.warn("spec.upgrade.crds is not supported: helm upgrade leaves the chart's crds/ folder alone");

  const Value* uninstall = r.object_at(spec, "uninstall", "spec.uninstall");
  r.warn_unknown(uninstall, "spec.uninstall", {"keepHistory"});
  release.keep_history_on_uninstall = r.bool_at(uninstall, "keepHistory", "spec.uninstall.keepHistory");

  if (const Value* depends = spec->find("dependsOn"); depends && depends->is_array()) {
    for (const auto& entry : depends->as_array()) {
      const std::string name = r.string_at(&entry, "name", "spec.dependsOn[].name");
      const std::string dep_ns = r.string_at(&entry, "namespace", "spec.dependsOn[].namespace", ns);
      if (!name.empty()) release.depends_on.push_back("HelmRelease/" + dep_ns + "/" + name);
    }
  }

  if (const Value* values = spec->find("values"); values && !values->is_null()) {
    if (!values->is_object()) r.error("spec.values must be a mapping");
    else out.values = *values;
  }
  if (const Value* from = spec->find("valuesFrom"); from && from->is_array()) {
    for (std::size_t i = 0; i < from->as_array().size(); ++i) {
      const Value& entry = from->as_array()[i];
      const std::string field = "spec.valuesFrom[" + std::to_string(i) + "]";
      r.warn_unknown(&entry, field, {"kind", "name", "valuesKey", "targetPath", "optional"});
      ValuesReference ref;
      ref.field = field;
      ref.kind = r.string_at(&entry, "kind", field + ".kind");
      ref.name = r.string_at(&entry, "name", field + ".name");
      ref.namespace_name = ns;
      ref.key = r.string_at(&entry, "valuesKey", field + ".valuesKey", "values.yaml");
      ref.target_path = r.string_at(&entry, "targetPath", field + ".targetPath");
      ref.optional = r.bool_at(&entry, "optional", field + ".optional");
      if (ref.kind != "ConfigMap" && ref.kind != "Secret") r.error(field + ".kind must be ConfigMap or Secret");
      out.values_from.push_back(std::move(ref));
    }
  }

  const Value* chart = r.object_at(spec, "chart", "spec.chart");
  if (const Value* chart_ref = r.object_at(spec, "chartRef", "spec.chartRef")) {
    if (chart) r.error("spec.chart and spec.chartRef cannot both be set");
    read_chart_ref(r, chart_ref, ns, index, out.chart, diagnostics);
    return;
  }
  const Value* chart_spec = r.object_at(chart, "spec", "spec.chart.spec");
  if (!chart_spec) {
    r.error("spec.chart.spec or spec.chartRef is required");
    return;
  }
  r.warn_unknown(chart_spec, "spec.chart.spec", {"chart", "version", "sourceRef", "interval", "reconcileStrategy", "valuesFiles", "valuesFile"});
  read_values_files(r, chart_spec, out);
  if (r.string_at(chart_spec, "reconcileStrategy", "spec.chart.spec.reconcileStrategy", "ChartVersion") != "ChartVersion")
    r.warn("spec.chart.spec.reconcileStrategy: only ChartVersion is supported; a Git chart is reinstalled when its content changes");
  const std::string chart_name = r.string_at(chart_spec, "chart", "spec.chart.spec.chart");
  if (chart_name.empty()) r.error("spec.chart.spec.chart is required");
  const std::string version = r.string_at(chart_spec, "version", "spec.chart.spec.version", "*");

  const Value* ref = r.object_at(chart_spec, "sourceRef", "spec.chart.spec.sourceRef");
  const KubeObject* source = referenced_source(r, ref, "spec.chart.spec.sourceRef", ns, index, {"HelmRepository", "GitRepository"},
                                               "HelmRepository or GitRepository");
  if (!source) return;
  if (source->kind() == "HelmRepository") read_helm_repository(*source, index, out.chart, diagnostics);
  else read_git_repository(*source, out.chart, diagnostics);
  out.chart.chart = chart_name;
  out.chart.version = version;
  if (out.chart.kind == ChartRequest::Kind::oci) {
    while (!out.chart.url.empty() && out.chart.url.back() == '/') out.chart.url.pop_back();
    out.chart.url += "/" + chart_name;
  }
  if (out.chart.kind != ChartRequest::Kind::git && SemVer::parse(version)) out.chart.refresh = {};
}

// A Flux v1 chart in an OCI registry: `repository: oci://host/path`, pulled anonymously;
// plain HTTP only for a loopback registry listed in the plugin's plainHttpRegistries.
void read_v1_oci(Reader& r, const ReadOptions& options, ChartRequest& chart) {
  chart.kind = ChartRequest::Kind::oci;
  while (!chart.url.empty() && chart.url.back() == '/') chart.url.pop_back();
  chart.url += "/" + chart.chart;
  const std::string host = oci_host(chart.url);
  const auto& plain = options.plain_http_registries;
  if (std::find(plain.begin(), plain.end(), host) == plain.end()) return;
  if (is_loopback_host(host)) chart.plain_http = true;
  else r.error("plainHttpRegistries names " + host + ", which is not on this machine; driftless speaks plain HTTP only to loopback registries");
}

// Flux v1 helm-operator: the release name, the chart (repository or Git), values.
void read_v1(Reader& r, const KubeObject& object, const Value* spec, ReleaseSpec& out, const ReadOptions& options) {
  r.warn_unknown(spec, "spec",
                 {"chart", "releaseName", "targetNamespace", "values", "valuesFrom", "timeout", "wait", "rollback",
                  "resetValues", "skipCRDs", "maxHistory", "forceUpgrade", "helmVersion"});
  if (r.string_at(spec, "helmVersion", "spec.helmVersion", "v3") != "v3") r.error("spec.helmVersion: only Helm v3 is supported");
  Release& release = out.release;
  const std::string ns = namespace_or_default(object);
  const std::string target = r.string_at(spec, "targetNamespace", "spec.targetNamespace");
  release.namespace_name = target.empty() ? ns : target;
  // The helm-operator's rule: "<namespace>-<name>", prefixed with the target namespace when one is set.
  release.name = r.string_at(spec, "releaseName", "spec.releaseName");
  if (release.name.empty()) release.name = (target.empty() ? "" : target + "-") + ns + "-" + object.name();
  release.max_history = static_cast<int>(r.int_at(spec, "maxHistory", "spec.maxHistory", 10));
  const auto timeout = std::chrono::seconds(r.int_at(spec, "timeout", "spec.timeout", 300));
  const bool wait = r.bool_at(spec, "wait", "spec.wait");
  const Value* rollback = r.object_at(spec, "rollback", "spec.rollback");
  r.warn_unknown(rollback, "spec.rollback", {"enable", "retry", "maxRetries", "timeout", "wait"});
  const bool rollback_enabled = r.bool_at(rollback, "enable", "spec.rollback.enable");
  if (rollback && (rollback->find("retry") || rollback->find("maxRetries")))
    r.warn("spec.rollback.retry/maxRetries are not supported: driftless tries the upgrade again at every reconcile");
  for (PhaseOptions* phase : {&release.install, &release.upgrade}) {
    phase->timeout = timeout;
    phase->wait = wait || rollback_enabled;  // a rollback needs to see the failure
    phase->wait_for_jobs = phase->wait;
  }
  release.upgrade.remediate = rollback_enabled;
  release.install.skip_crds = r.bool_at(spec, "skipCRDs", "spec.skipCRDs");
  release.upgrade.force = r.bool_at(spec, "forceUpgrade", "spec.forceUpgrade");
  r.bool_at(spec, "resetValues", "spec.resetValues");  // values always come from Git alone

  const Value* chart = r.object_at(spec, "chart", "spec.chart");
  if (!chart) {
    r.error("spec.chart is required");
    return;
  }
  r.warn_unknown(chart, "spec.chart", {"repository", "name", "version", "git", "ref", "path", "skipDepUpdate"});
  if (chart->find("git")) {
    out.chart.kind = ChartRequest::Kind::git;
    out.chart.url = r.string_at(chart, "git", "spec.chart.git");
    out.chart.chart = r.string_at(chart, "path", "spec.chart.path");
    Object ref;
    ref.set("branch", r.string_at(chart, "ref", "spec.chart.ref", "master"));
    out.chart.git_ref = Value(std::move(ref));
    out.chart.refresh = kDefaultInterval;  // the helm-operator's default git poll interval
    if (out.chart.chart.empty()) r.error("spec.chart.path is required with spec.chart.git");
    require_git_url(r, out.chart.url, "spec.chart.git", true);
  } else {
    out.chart.kind = ChartRequest::Kind::helm_repository;
    out.chart.url = r.string_at(chart, "repository", "spec.chart.repository");
    out.chart.chart = r.string_at(chart, "name", "spec.chart.name");
    out.chart.version = r.string_at(chart, "version", "spec.chart.version");
    if (out.chart.url.empty() || out.chart.chart.empty() || out.chart.version.empty())
      r.error("spec.chart needs repository, name and version (or git and path)");
    if (out.chart.url.rfind("oci://", 0) == 0) read_v1_oci(r, options, out.chart);
    else if (!out.chart.url.empty() && !has_scheme(out.chart.url, {"http", "https"}))
      r.error("spec.chart.repository '" + redact_url(out.chart.url) + "' must be an http://, https:// or oci:// URL");
  }

  if (const Value* values = spec->find("values"); values && !values->is_null()) {
    if (!values->is_object()) r.error("spec.values must be a mapping");
    else out.values = *values;
  }
  const Value* from = spec->find("valuesFrom");
  if (!from || !from->is_array()) return;
  for (std::size_t i = 0; i < from->as_array().size(); ++i) {
    const Value& entry = from->as_array()[i];
    const std::string field = "spec.valuesFrom[" + std::to_string(i) + "]";
    r.warn_unknown(&entry, field, {"configMapKeyRef", "secretKeyRef", "chartFileRef", "externalSourceRef"});
    if (entry.find("externalSourceRef")) {
      r.error(field + ": externalSourceRef is not supported; move the values into a ConfigMap");
      continue;
    }
    if (const Value* file = r.object_at(&entry, "chartFileRef", field + ".chartFileRef")) {
      r.warn_unknown(file, field + ".chartFileRef", {"path", "optional"});
      ValuesReference chart_file;
      chart_file.kind = "ChartFile";
      chart_file.field = field;
      chart_file.key = r.string_at(file, "path", field + ".chartFileRef.path");
      chart_file.optional = r.bool_at(file, "optional", field + ".chartFileRef.optional");
      if (chart_file.key.empty()) r.error(field + ".chartFileRef.path is required");
      out.values_from.push_back(std::move(chart_file));
      continue;
    }
    const bool is_secret = entry.find("secretKeyRef") != nullptr;
    const std::string key_ref = is_secret ? "secretKeyRef" : "configMapKeyRef";
    const Value* ref = r.object_at(&entry, key_ref, field + "." + key_ref);
    if (!ref) {
      r.error(field + " needs configMapKeyRef or secretKeyRef");
      continue;
    }
    r.warn_unknown(ref, field + "." + key_ref, {"name", "namespace", "key", "optional"});
    ValuesReference values_ref;
    values_ref.field = field;
    values_ref.kind = is_secret ? "Secret" : "ConfigMap";
    values_ref.name = r.string_at(ref, "name", field + ".name");
    values_ref.namespace_name = r.string_at(ref, "namespace", field + ".namespace", ns);
    values_ref.key = r.string_at(ref, "key", field + ".key", "values.yaml");
    values_ref.optional = r.bool_at(ref, "optional", field + ".optional");
    out.values_from.push_back(std::move(values_ref));
  }
}

}  // namespace

Diagnostic finding(const KubeObject& object, Severity severity, std::string message) {
  return Diagnostic{severity, std::move(message), object.origin.file, object.origin.line, object.id()};
}

bool is_helm_release(const KubeObject& object) {
  return object.kind() == "HelmRelease" && (object.group() == kFluxV2Group || object.api_version() == kFluxV1ApiVersion);
}

bool is_flux_source(const KubeObject& object) {
  static const std::vector<std::string> kinds{"HelmRepository", "GitRepository", "OCIRepository", "HelmChart", "Bucket"};
  return object.group() == kSourceGroup && std::find(kinds.begin(), kinds.end(), object.kind()) != kinds.end();
}

bool is_loopback_host(const std::string& host_port) {
  std::string host = host_port;
  if (!host.empty() && host[0] == '[') host = host.substr(1, host.find(']') - 1);
  else host = host.substr(0, host.find(':'));
  const bool ipv4_loopback = host.rfind("127.", 0) == 0 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
  return host == "localhost" || host == "::1" || ipv4_loopback;
}

std::optional<ReleaseSpec> read_release(const KubeObject& object, const RenderIndex& index, std::vector<Diagnostic>& out,
                                        const ReadOptions& options) {
  std::vector<Diagnostic> found;
  Reader r(object, found);
  ReleaseSpec spec_out;
  spec_out.release.object = object.id();
  spec_out.release.api_version = object.api_version();
  spec_out.release.object_namespace = namespace_or_default(object);
  spec_out.release.object_name = object.name();
  spec_out.release.origin = object.origin;
  const Value* spec = r.object_at(&object.body, "spec", "spec");
  if (!spec) r.error("spec is required");
  else if (object.group() == kFluxV2Group) read_v2(r, object, spec, index, spec_out, found);
  else read_v1(r, object, spec, spec_out, options);
  const bool failed = has_errors(found);
  for (auto& d : found) out.push_back(std::move(d));
  if (failed) return std::nullopt;
  return spec_out;
}

}  // namespace driftless::helmrelease
