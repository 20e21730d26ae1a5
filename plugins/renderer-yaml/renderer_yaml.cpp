// renderer "yaml": every manifest file below the pipeline's folder (include/
// exclude globs, .driftlessignore), in byte order of their paths, read as
// kubectl reads them, appended to the objects of the previous stage.
#include <driftless/export.hpp>

#include "yaml_stage.hpp"

namespace {

using namespace driftless;

class YamlRenderer : public Renderer {
 public:
  explicit YamlRenderer(renderers::YamlSettings settings) : settings_(std::move(settings)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    result.objects = std::move(request.objects);
    renderers::render_yaml_files(context, request.artifact, request.path, settings_, result);
    return result;
  }

 private:
  renderers::YamlSettings settings_;
};

class YamlRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return renderers::yaml_keys(); }
  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    auto settings = renderers::yaml_settings(config);
    if (!settings.ok()) return settings.error();
    return std::unique_ptr<Renderer>(std::make_unique<YamlRenderer>(std::move(*settings)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(YamlRendererFactory, "yaml", "renderer", "0.2.0", "Plain YAML and JSON manifests, read as kubectl reads them")
