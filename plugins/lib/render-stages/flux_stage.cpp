#include "flux_stage.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "driftless/toolkit/manifests.hpp"
#include "flux_kustomization.hpp"

namespace driftless::renderers {
namespace {

// Flux's API groups: *.toolkit.fluxcd.io, source.extensions.fluxcd.io
// (ArtifactGenerator), helm.fluxcd.io (Flux v1's HelmRelease).
constexpr std::string_view kFluxGroupSuffix = ".fluxcd.io";
constexpr const char* kKustomizeGroup = "kustomize.toolkit.fluxcd.io";
constexpr const char* kSourceGroup = "source.toolkit.fluxcd.io";
constexpr const char* kSourceExtensionsGroup = "source.extensions.fluxcd.io";
constexpr const char* kHelmGroup = "helm.toolkit.fluxcd.io";
constexpr const char* kHelmV1Group = "helm.fluxcd.io";

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_kind(const KubeObject& object, const char* group, std::initializer_list<std::string_view> kinds) {
  const std::string kind = object.kind();
  return object.group() == group && std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// An object of Flux's own install (gotk-components.yaml, `flux install`):
// labelled both app.kubernetes.io/part-of: flux and app.kubernetes.io/instance
// (the namespace Flux was installed into), as every object of the install is,
// or the definition of one of Flux's kinds. part-of: flux alone is not enough:
// Flux's monitoring guide (flux2-monitoring-example) gives the user's own
// PodMonitor and Grafana dashboard ConfigMaps that label, and they are applied.
bool is_flux_install(const KubeObject& object) {
  const Value* part_of = object.body.at_path({"metadata", "labels", "app.kubernetes.io/part-of"});
  const Value* instance = object.body.at_path({"metadata", "labels", "app.kubernetes.io/instance"});
  if (part_of && part_of->is_string() && part_of->as_string() == "flux" && instance) return true;
  const Value* group = object.body.at_path({"spec", "group"});
  return object.kind() == "CustomResourceDefinition" && object.group() == "apiextensions.k8s.io" && group &&
         group->is_string() && ends_with(group->as_string(), kFluxGroupSuffix);
}

// "Kind/namespace/name" of the sources the HelmReleases of `objects` read:
// those stay for the helmrelease renderer.
std::set<std::string> sources_of_releases(const std::vector<KubeObject>& objects) {
  std::set<std::string> out;
  for (const auto& object : objects) {
    if (!is_kind(object, kHelmGroup, {"HelmRelease"})) continue;
    for (const Value* ref : {object.body.at_path({"spec", "chart", "spec", "sourceRef"}), object.body.at_path({"spec", "chartRef"})})
      if (ref && ref->is_object())
        out.insert(ref->string_or("kind") + "/" + ref->string_or("namespace", object.namespace_name()) + "/" +
                   ref->string_or("name"));
  }
  return out;
}

std::string source_id(const KubeObject& source) {
  return source.kind() + "/" + source.namespace_name() + "/" + source.name();
}

// A Flux source read here defined twice (the roots of two cluster folders,
// each with its own flux-system GitRepository or ArtifactGenerator) is an
// error naming both places, as the core's check names other objects defined
// twice: these sources never reach that check, and which of the two a
// Kustomization read would otherwise be a silent guess.
void refuse_sources_defined_twice(const std::vector<KubeObject>& sources, RenderResult& out) {
  std::map<std::string, const KubeObject*> seen;
  for (const auto& source : sources) {
    auto [first, fresh] = seen.emplace(source.group() + "/" + source_id(source), &source);
    if (!fresh)
      out.diagnostics.push_back({Severity::error, "the object is defined twice; the other one is in " + place_of(first->second->origin),
                                 source.origin.file, source.origin.line, source.id()});
  }
}

// One warning for all of Flux's install that was left out: "12 objects
// (CustomResourceDefinition 6, Deployment 4, ...)".
void summarise_install(const std::vector<KubeObject>& install, RenderResult& out) {
  if (install.empty()) return;
  std::map<std::string, int> kinds;
  for (const auto& object : install) ++kinds[object.kind()];
  std::string counted;
  for (const auto& [kind, count] : kinds) counted += (counted.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  out.diagnostics.push_back({Severity::warning,
                             "left out Flux's own install, " + std::to_string(install.size()) + " objects (" + counted +
                                 ", labelled app.kubernetes.io/part-of: flux and app.kubernetes.io/instance, or defining *.toolkit.fluxcd.io kinds): "
                                 "driftless reads the Flux objects itself and needs no Flux controllers; see "
                                 "docs/migrating-from-flux.md",
                             install.front().origin.file, install.front().origin.line, install.front().id()});
}

// One info for a render whose declared pipelines get no flux-status stage
// because the cluster (when one is known) serves no Kustomization kind.
void say_status_not_written(const std::vector<KubeObject>& kustomizations, std::size_t declared, const FluxRender& render,
                            RenderResult& out) {
  if (!render.cluster || declared == 0 || !served_status_version(kustomizations.front(), render.cluster).empty())
    return;
  const KubeObject& first = kustomizations.front();
  out.diagnostics.push_back({Severity::info,
                             "the cluster serves no Kustomization kind of kustomize.toolkit.fluxcd.io: the status of the " +
                                 std::to_string(declared) + " Kustomization(s) declaring pipelines here is "
                                 "not written (docs/migrating-from-flux.md, \"Kustomization status\")",
                             first.origin.file, first.origin.line, first.id()});
}

// Where the Kustomization named like `kustomization` was declared first: "in
// namespace 'b' and in 'a' (file:line)", or, in the same namespace (a folder
// above two cluster folders of one repository), "twice ..., here and at file:line".
std::string declared_again(const KubeObject& kustomization, const KubeObject& first) {
  const std::string where = place_of(first.origin);
  if (kustomization.namespace_name() == first.namespace_name())
    return "is declared twice in namespace '" + first.namespace_name() + "', here and at " + where +
           " (a folder holding several clusters' folders? render each cluster folder on its own)";
  return "is declared in namespace '" + kustomization.namespace_name() + "' and in '" + first.namespace_name() + "' (" +
         where + ")";
}

// Declares a pipeline for each Kustomization; a name declared twice is an error naming both.
void declare(const std::vector<KubeObject>& kustomizations, const FluxRender& render, RenderResult& out) {
  const std::size_t before = out.pipelines.size();
  std::map<std::string, const KubeObject*> by_name;
  for (const auto& kustomization : kustomizations) {
    auto [seen, fresh] = by_name.emplace(kustomization.name(), &kustomization);
    if (!fresh) {
      out.diagnostics.push_back({Severity::error,
                                 "Kustomization '" + kustomization.name() + "' " + declared_again(kustomization, *seen->second) +
                                     "; driftless names each declared pipeline by metadata.name, which must be unique in one render",
                                 kustomization.origin.file, kustomization.origin.line, kustomization.id()});
      continue;
    }
    if (auto declared = read_kustomization(kustomization, render, out.diagnostics))
      out.pipelines.push_back(std::move(*declared));
  }
  say_status_not_written(kustomizations, out.pipelines.size() - before, render, out);
}

}  // namespace

const SettingsSchema<FluxSettings>& flux_schema() {
  static const auto s =
      SettingsSchema<FluxSettings>()
          .key(ConfigKey("childRenderers", ConfigType::string_list,
                         "Renderers a pipeline declared by a Kustomization runs after Flux's own stages (the folder, "
                         "the overlay, sops, the substitution, nested Kustomizations): helmrelease expands the "
                         "HelmReleases of its folder. With a dir sink, set [].")
                   .default_to(Array{"helmrelease"}),
               &FluxSettings::child_renderers)
          .part(&FluxSettings::sops, sops_schema());
  return s;
}

bool is_flux_group(const std::string& group) { return ends_with(group, kFluxGroupSuffix); }

bool holds_flux_objects(const std::vector<KubeObject>& objects) {
  return std::any_of(objects.begin(), objects.end(),
                     [](const KubeObject& o) { return is_flux_group(o.group()) || is_flux_install(o); });
}

void read_flux_objects(const RenderRequest& request, const FluxSettings& settings, const ClusterInfo* cluster,
                       RenderResult& out) {
  std::vector<KubeObject> kept;
  std::vector<KubeObject> kustomizations;
  std::vector<KubeObject> sources;
  std::vector<KubeObject> install;
  for (auto& object : out.objects) {
    if (is_flux_install(object)) install.push_back(std::move(object));
    else if (is_kind(object, kKustomizeGroup, {"Kustomization"})) kustomizations.push_back(std::move(object));
    else if (object.group() == kSourceGroup || object.group() == kSourceExtensionsGroup) sources.push_back(std::move(object));
    else if (!is_flux_group(object.group()) || is_kind(object, kHelmGroup, {"HelmRelease"}) ||
             is_kind(object, kHelmV1Group, {"HelmRelease"}))
      kept.push_back(std::move(object));
    else
      out.diagnostics.push_back({Severity::warning,
                                 object.kind() + " (" + object.api_version() + ") is not supported: driftless does not do "
                                 "what Flux's " + object.group() + " controller does; not applied",
                                 object.origin.file, object.origin.line, object.id()});
  }
  // A Namespace of the install that other objects live in (cluster-vars in flux-system) stays.
  std::set<std::string> used_namespaces;
  for (const auto& object : kept) used_namespaces.insert(object.namespace_name());
  auto used = std::stable_partition(install.begin(), install.end(), [&](const KubeObject& o) {
    return !(o.kind() == "Namespace" && o.group().empty() && used_namespaces.count(o.name()));
  });
  std::move(used, install.end(), std::back_inserter(kept));
  install.erase(used, install.end());
  summarise_install(install, out);

  // Sources: a HelmRelease's stay for the helmrelease renderer; the rest are read here.
  const std::set<std::string> for_releases = sources_of_releases(kept);
  const ExternalArtifacts artifacts(sources, request.artifact);
  std::set<std::string> for_kustomizations;
  for (const auto& kustomization : kustomizations) {
    for_kustomizations.insert(source_ref_id(kustomization));
    for (auto& id : artifacts.made_from(source_ref_id(kustomization))) for_kustomizations.insert(std::move(id));
  }
  std::vector<KubeObject> read_here;
  for (auto& source : sources) {
    const std::string id = source_id(source);
    if (for_releases.count(id)) {
      kept.push_back(std::move(source));
      continue;
    }
    if (!for_kustomizations.count(id))
      out.diagnostics.push_back({Severity::warning,
                                 source.kind() + " is read by no Kustomization or HelmRelease of this render; not applied "
                                 "(a Flux source is work for driftless, not an object for the cluster)",
                                 source.origin.file, source.origin.line, source.id()});
    read_here.push_back(std::move(source));
  }
  refuse_sources_defined_twice(read_here, out);
  out.objects = std::move(kept);
  declare(kustomizations, FluxRender{request, settings, out.objects, read_here, artifacts, cluster}, out);
}

}  // namespace driftless::renderers
