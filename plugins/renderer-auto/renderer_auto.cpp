// renderer "auto": picks per folder. The rendered folder, or any folder below
// it, holding a kustomization is built with kustomize, one holding a
// Chart.yaml is rendered with helm; manifest files everywhere else are read
// as by the yaml renderer. It takes the keys of all three (not `chart` and
// `build`, which it decides itself) and runs their code, not a copy of it.
// Then the objects that declare pipelines are read: Flux objects as the flux
// renderer reads them (unless `flux: false`), Argo CD Applications as the
// argocd renderer does.
#include <driftless/export.hpp>

#include "argocd_stage.hpp"
#include "flux_stage.hpp"
#include "helm_stage.hpp"
#include "kustomize_stage.hpp"
#include "stage_plugin.hpp"
#include "yaml_stage.hpp"

namespace {

using namespace driftless;

struct AutoSettings {
  renderers::YamlSettings yaml;
  renderers::KustomizeSettings kustomize;
  renderers::HelmSettings helm;
  renderers::ArgocdSettings argocd;
  bool read_flux = true;
  renderers::FluxSettings flux;
};

// The keys of the three stages and of the two readers, each once; `chart` and `build` are decided per folder.
const SettingsSchema<AutoSettings>& schema() {
  static const auto schema = SettingsSchema<AutoSettings>()
                                 .part(&AutoSettings::yaml, renderers::yaml_schema())
                                 .part(&AutoSettings::kustomize, renderers::kustomize_schema(), {"build"})
                                 .part(&AutoSettings::helm, renderers::helm_schema(), {"chart"})
                                 .part(&AutoSettings::argocd, renderers::argocd_schema())
                                 .key(ConfigKey("flux", ConfigType::boolean,
                                                "Read the Flux objects of the folder as the flux renderer does (a "
                                                "Kustomization declares a pipeline); false passes them on unread.")
                                          .default_to(true),
                                      &AutoSettings::read_flux)
                                 .part(&AutoSettings::flux, renderers::flux_schema());
  return schema;
}

void render(Context& context, const RenderRequest& request, const AutoSettings& settings, RenderResult& out) {
  const Artifact& artifact = request.artifact;
  std::vector<std::string> kustomizations;
  std::vector<std::string> charts;
  auto owned_by_a_tool = [&](const std::string& folder) {
    if (!renderers::kustomization_file(artifact, folder).empty()) {
      kustomizations.push_back(folder);
      return true;
    }
    if (renderers::is_chart(artifact, folder)) {
      charts.push_back(folder);
      return true;
    }
    return false;
  };
  if (!owned_by_a_tool(request.path))
    renderers::render_yaml_files(context, artifact, request.path, settings.yaml, out, owned_by_a_tool);
  if (!kustomizations.empty()) renderers::build_kustomizations(context, artifact, kustomizations, settings.kustomize, out);
  for (const auto& chart : charts) renderers::render_chart(context, artifact, chart, settings.helm, out);
  if (settings.read_flux && renderers::holds_flux_objects(out.objects))
    renderers::read_flux_objects(request, settings.flux, context.cluster_info(), out);
  renderers::read_argocd_objects(artifact, settings.argocd, out);
}

// Which binaries it would run, without running them: most folders are plain
// YAML and need neither tool, so asking both for their version on every
// render would cost two processes for nothing. A replaced binary still
// changes what this reports, and so the render cache's key.
Result<std::string> version() {
  auto kustomize = renderers::identify_tool("kustomize", "", "kustomizePath");
  if (!kustomize.ok()) return kustomize.error();
  auto helm = renderers::identify_tool("helm", "", "helmPath");
  if (!helm.ok()) return helm.error();
  return *kustomize + ", " + *helm;
}

constexpr renderers::Stage<AutoSettings> kAuto{schema, render, version};
using AutoRendererFactory = renderers::StageRendererFactory<AutoSettings, kAuto>;

}  // namespace

DRIFTLESS_PLUGIN(AutoRendererFactory, "auto", "renderer", "0.1.0",
                 "Per folder: kustomize for a kustomization, helm for a chart, plain YAML otherwise; then Flux objects as flux")
