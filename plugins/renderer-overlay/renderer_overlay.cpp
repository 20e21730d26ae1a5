// renderer "overlay": a Flux Kustomization's transformations (targetNamespace,
// namePrefix/nameSuffix, patches, images, components, commonMetadata) applied
// by the real kustomize to the objects of the earlier stages. Chained after
// them: `renderers: [kustomize, {type: overlay, targetNamespace: apps}]`.
#include <driftless/export.hpp>

#include "kustomize_stage.hpp"
#include "overlay_stage.hpp"
#include "stage_plugin.hpp"

namespace {

using namespace driftless;
using renderers::OverlaySettings;

void render(Context& context, const RenderRequest& request, const OverlaySettings& settings, RenderResult& out) {
  renderers::apply_overlay(context, request.artifact, request.path, settings, out);
}

Result<std::string> version() { return renderers::kustomize_version(""); }

constexpr renderers::Stage<OverlaySettings> kOverlay{renderers::overlay_schema, render, version};
using OverlayRendererFactory = renderers::StageRendererFactory<OverlaySettings, kOverlay>;

}  // namespace

DRIFTLESS_PLUGIN(OverlayRendererFactory, "overlay", "renderer", "0.1.0",
                 "A Flux Kustomization's patches, images, namespace, name prefix/suffix, components and common "
                 "metadata, applied by kustomize to the objects of the earlier stages")
