// renderer "argocd": Argo CD Application objects among the objects of the
// stages before it become declared pipelines (app of apps); AppProject and
// ApplicationSet objects are taken out with a warning or an error. Nothing
// of them reaches the sink. docs/migrating-from-argocd.md says what is read.
#include <driftless/export.hpp>

#include "argocd_stage.hpp"
#include "stage_plugin.hpp"

namespace {

using namespace driftless;
using renderers::ArgocdSettings;

void render(Context&, const RenderRequest& request, const ArgocdSettings& settings, RenderResult& out) {
  renderers::read_argocd_objects(request.artifact, settings, out);
}

constexpr renderers::Stage<ArgocdSettings> kArgocd{renderers::argocd_schema, render, renderers::no_tool};
using ArgocdRendererFactory = renderers::StageRendererFactory<ArgocdSettings, kArgocd>;

}  // namespace

DRIFTLESS_PLUGIN(ArgocdRendererFactory, "argocd", "renderer", "0.1.0",
                 "Argo CD Applications (app of apps) become pipelines of their own")
