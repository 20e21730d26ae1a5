// renderer "kustomize": `kustomize build` of the pipeline's folder (or of each
// kustomization folder below it), bases confined to the artifact, remote
// bases refused unless allowed, no network, a timeout and an output cap.
#include <driftless/export.hpp>

#include "kustomize_stage.hpp"

namespace {

using namespace driftless;

class KustomizeRenderer : public Renderer {
 public:
  explicit KustomizeRenderer(renderers::KustomizeSettings settings) : settings_(std::move(settings)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    result.objects = std::move(request.objects);
    renderers::render_kustomize(context, request.artifact, request.path, settings_, result);
    return result;
  }

 private:
  renderers::KustomizeSettings settings_;
};

class KustomizeRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return renderers::kustomize_keys(); }
  Result<std::string> tool_version() const override { return renderers::kustomize_version(""); }
  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    auto settings = renderers::kustomize_settings(config);
    if (!settings.ok()) return settings.error();
    return std::unique_ptr<Renderer>(std::make_unique<KustomizeRenderer>(std::move(*settings)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(KustomizeRendererFactory, "kustomize", "renderer", "0.1.0", "kustomize build of a folder of the source")
