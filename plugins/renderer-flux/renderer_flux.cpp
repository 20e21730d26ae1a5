// renderer "flux": reads the Flux v2 objects of the earlier stages. Each
// Kustomization declares a pipeline (its folder, with Flux's stages and the
// kube sink settings it asks for); the sources they read, Flux's own install
// and the kinds driftless does not do are taken out, each named in a finding;
// HelmReleases and their sources go on to the helmrelease renderer. auto runs
// the same stage when a folder holds Flux objects. See docs/migrating-from-flux.md.
#include <driftless/export.hpp>

#include "flux_stage.hpp"
#include "stage_plugin.hpp"

namespace {

using namespace driftless;
using renderers::FluxSettings;

void render(Context& context, const RenderRequest& request, const FluxSettings& settings, RenderResult& out) {
  renderers::read_flux_objects(request, settings, context.cluster_info(), out);
}

constexpr renderers::Stage<FluxSettings> kFlux{renderers::flux_schema, render, renderers::no_tool};
using FluxRendererFactory = renderers::StageRendererFactory<FluxSettings, kFlux>;

}  // namespace

DRIFTLESS_PLUGIN(FluxRendererFactory, "flux", "renderer", "0.1.0",
                 "Flux v2 objects: a Kustomization declares a pipeline; sources and Flux's install are taken out")
