// renderer "kustomize": `kustomize build` of the pipeline's folder (or of each
// kustomization folder below it), bases confined to the artifact, remote
// bases refused unless allowed, no network, a timeout and an output cap.
#include <driftless/export.hpp>

#include "kustomize_stage.hpp"
#include "stage_plugin.hpp"

namespace {

using namespace driftless;
using renderers::KustomizeSettings;

void render(Context& context, const RenderRequest& request, const KustomizeSettings& settings, RenderResult& out) {
  renderers::render_kustomize(context, request.artifact, request.path, settings, out);
}

Result<std::string> version() { return renderers::kustomize_version(""); }

constexpr renderers::Stage<KustomizeSettings> kKustomize{renderers::kustomize_schema, render, version};
using KustomizeRendererFactory = renderers::StageRendererFactory<KustomizeSettings, kKustomize>;

}  // namespace

DRIFTLESS_PLUGIN(KustomizeRendererFactory, "kustomize", "renderer", "0.1.0", "kustomize build of a folder of the source")
