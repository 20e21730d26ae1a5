// renderer "helm": `helm template` of a chart that lives in the source, values
// files confined to the source, inline values, the cluster's version and APIs
// when the sink knows them, dependencies built as `helm dependency build` does
// (confined, capped, cached), CRDs included.
#include <driftless/export.hpp>

#include "helm_stage.hpp"
#include "stage_plugin.hpp"

namespace {

using namespace driftless;
using renderers::HelmSettings;

void render(Context& context, const RenderRequest& request, const HelmSettings& settings, RenderResult& out) {
  renderers::render_chart(context, request.artifact, settings.chart.empty() ? request.path : settings.chart, settings, out);
}

Result<std::string> version() { return renderers::helm_version(""); }

constexpr renderers::Stage<HelmSettings> kHelm{renderers::helm_schema, render, version};
using HelmRendererFactory = renderers::StageRendererFactory<HelmSettings, kHelm>;

}  // namespace

DRIFTLESS_PLUGIN(HelmRendererFactory, "helm", "renderer", "0.1.0", "helm template of a chart in the source")
