// renderer "helmrelease": HelmRelease objects (Flux v2 and the Flux v1
// helm-operator) become real Helm releases. Rendering reads the artifact and
// chart sources only, never the cluster: it takes the HelmReleases and the
// Flux source objects out of the object list, fetches and caches each chart,
// merges values and checks everything; the releases are installed by an
// after-apply step the core runs on the kube sink's cluster, as the sink's
// identity, once the sink applied the rest of the pipeline (see
// release_action.hpp and docs/helmrelease.md).
#include <driftless/export.hpp>
#include <driftless/toolkit/settings.hpp>

#include <functional>
#include <set>

#include "chart_source.hpp"
#include "helm_stage.hpp"
#include "release_action.hpp"
#include "release_objects.hpp"
#include "target.hpp"
#include "values.hpp"

namespace {

using namespace driftless;
using namespace driftless::helmrelease;

constexpr const char* kInstallsAsTheSink =
    "releases are installed on the pipeline's kube sink's cluster with its kubeconfig, context and impersonate keys; "
    "set them on the sink";

struct Settings {
  ActionSettings action;
  ChartLimits limits;
  ReadOptions read;
};

std::string index_key(const KubeObject& object) {
  const std::string ns = object.namespace_name();
  return render_index_key(object.kind(), ns.empty() ? "default" : ns, object.name());
}

// Installation rounds: a release comes after every release it depends on.
void assign_levels(std::vector<Release>& releases, std::vector<Diagnostic>& out) {
  std::map<std::string, Release*> by_object;
  for (auto& release : releases) by_object[release.object] = &release;
  std::map<std::string, int> state;  // 1 = visiting, 2 = done
  std::function<int(Release&)> level_of = [&](Release& release) -> int {
    int& mark = state[release.object];
    if (mark == 2) return release.level;
    if (mark == 1) {
      out.push_back(Diagnostic{Severity::error, "dependsOn forms a cycle through " + release.object, release.origin.file,
                               release.origin.line, release.object});
      return 0;
    }
    mark = 1;
    int level = 0;
    for (const auto& dependency : release.depends_on) {
      auto it = by_object.find(dependency);
      if (it == by_object.end()) {
        out.push_back(Diagnostic{Severity::error, "dependsOn names " + dependency + ", which is not in this render",
                                 release.origin.file, release.origin.line, release.object});
        continue;
      }
      level = std::max(level, level_of(*it->second) + 1);
    }
    release.level = level;
    state[release.object] = 2;
    return level;
  };
  for (auto& release : releases) level_of(release);
}

class HelmReleaseRenderer : public Renderer {
 public:
  explicit HelmReleaseRenderer(Settings settings) : settings_(std::move(settings)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    std::vector<KubeObject> consumed;  // HelmReleases and Flux sources: turned into releases, not applied
    for (auto& object : request.objects) {
      if (is_helm_release(object) || is_flux_source(object)) consumed.push_back(std::move(object));
      else result.objects.push_back(std::move(object));
    }
    RenderIndex index;
    for (const auto& object : result.objects)
      if (object.kind() == "ConfigMap" || object.kind() == "Secret") index[index_key(object)] = &object;
    for (const auto& object : consumed) index[index_key(object)] = &object;

    ChartFetcher charts(context, settings_.limits, settings_.action.helm_path);
    std::vector<Release> releases;
    std::map<std::string, std::string> names;  // release key -> HelmRelease holding it
    for (const auto& object : consumed) {
      if (!is_helm_release(object)) continue;
      auto spec = read_release(object, index, result.diagnostics, settings_.read);
      if (!spec) continue;
      Release release = std::move(spec->release);
      auto [clash, inserted] = names.emplace(release.key(), release.object);
      if (!inserted) {
        result.diagnostics.push_back(finding(object, Severity::error, "release " + release.key() + " is also defined by " + clash->second));
        continue;
      }
      auto chart = charts.fetch(spec->chart);
      if (!chart.ok()) {
        result.diagnostics.push_back(finding(object, Severity::error, "chart: " + chart.error().message));
        continue;
      }
      release.chart = std::move(*chart);
      if (spec->chart.refresh.count() > 0 && (result.valid_for.count() == 0 || spec->chart.refresh < result.valid_for))
        result.valid_for = spec->chart.refresh;
      auto chart_file = [&](const std::string& path) { return charts.chart_file(release.chart, path); };
      if (needs_cluster(*spec, index)) {
        // Merged after apply, when the sink's cluster is reachable as the sink's identity.
        release.values_inputs = keep_values_inputs(object, *spec, index, chart_file);
      } else {
        ClusterObjectReader none = [](const std::string&, const std::string&, const std::string&) -> Result<KubeObject> {
          return fail(ErrorCode::not_found, "not in the render");
        };
        if (!merge_values(object, *spec, index, chart_file, none, release, result.diagnostics)) continue;
        release.digest = release_digest(release);
      }
      releases.push_back(std::move(release));
    }
    assign_levels(releases, result.diagnostics);
    if (has_errors(result.diagnostics)) return result;
    ActionSettings action = settings_.action;
    action.state_dir = context.cache_dir() / "releases";
    // Without a HelmRelease, a cluster or a release installed before, there is
    // nothing to install or uninstall: no work is left for after apply, so a
    // pipeline a Flux Kustomization declares (which runs this stage) can be
    // written by a sink without a Kubernetes target, such as the dir sink.
    if (releases.empty() && !context.cluster_info() && !remembers_releases(action, context.pipeline())) return result;
    result.after_apply.push_back(std::make_shared<ReleaseActions>(std::move(action), context.pipeline(), std::move(releases)));
    return result;
  }

 private:
  Settings settings_;
};

Result<std::vector<std::string>> loopback_registries(const std::string& key, const std::vector<std::string>& hosts) {
  for (const auto& host : hosts)
    if (!is_loopback_host(host))
      return fail(ErrorCode::invalid_input,
                  key + ": " + host + " is not on this machine; plain HTTP is allowed for loopback registries only");
  return hosts;
}

// One key for the memory of every helm run: the chart fetcher's pulls and the installs.
ConfigKey max_memory_key() {
  return ConfigKey("maxMemory", ConfigType::integer,
                   "Most memory each helm run (pull, upgrade --install) may allocate, in bytes (RLIMIT_DATA); more is an "
                   "error naming the limit.")
      .default_to(static_cast<std::int64_t>(ProcessSpec{}.max_memory));
}

const SettingsSchema<Settings>& schema() {
  using A = ActionSettings;
  using L = ChartLimits;
  static const auto schema =
      SettingsSchema<Settings>()
          .part(&Settings::action,
                SettingsSchema<A>()
                    .key(ConfigKey("helmPath", ConfigType::path, "The helm binary; when unset: helm on PATH."), &A::helm_path)
                    .key(ConfigKey("prune", ConfigType::boolean,
                                   "Uninstall releases of this pipeline whose HelmRelease left the source (only after a "
                                   "fully successful apply).")
                             .default_to(true),
                         &A::prune)
                    .key(ConfigKey("concurrency", ConfigType::integer,
                                   "Releases installed or upgraded at once (within one dependsOn round).")
                             .default_to(4),
                         &A::concurrency, Minimum::positive()))
          .part(&Settings::limits,
                SettingsSchema<L>()
                    .key(ConfigKey("maxIndexSize", ConfigType::integer, "Largest chart repository index.yaml, in bytes.")
                             .default_to(static_cast<std::int64_t>(L{}.max_index_bytes)),
                         &L::max_index_bytes, Minimum::positive())
                    .key(ConfigKey("maxChartSize", ConfigType::integer, "Largest chart archive, in bytes.")
                             .default_to(static_cast<std::int64_t>(L{}.max_chart_bytes)),
                         &L::max_chart_bytes, Minimum::positive())
                    .key(max_memory_key(), &L::max_helm_memory, Minimum::positive()))
          .part(&Settings::action, SettingsSchema<A>().key(max_memory_key(), &A::max_memory, Minimum::positive()))
          .part(&Settings::read, SettingsSchema<ReadOptions>().key(
                                     ConfigKey("plainHttpRegistries", ConfigType::string_list,
                                               "OCI registries on this machine (host:port) that Flux v1 charts are pulled "
                                               "from over plain HTTP; Flux v2 sources say insecure: true instead."),
                                     &ReadOptions::plain_http_registries, loopback_registries))
          .retired("kubeconfig", kInstallsAsTheSink)
          .retired("context", kInstallsAsTheSink);
  return schema;
}

class HelmReleaseRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return schema().keys(); }

  Result<std::string> tool_version() const override { return renderers::helm_version(""); }

  // Releases are installed on the kube sink's cluster, with its kubeconfig, context and impersonation.
  std::string after_apply_target() const override { return kube::kTargetKind; }

  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    auto settings = schema().read(config);
    if (!settings.ok()) return settings.error();
    return std::unique_ptr<Renderer>(std::make_unique<HelmReleaseRenderer>(std::move(*settings)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(HelmReleaseRendererFactory, "helmrelease", "renderer", "0.1.0",
                 "HelmRelease objects (Flux v1 and v2) installed as real Helm releases")
