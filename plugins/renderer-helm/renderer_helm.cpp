// renderer "helm": `helm template` of a chart that lives in the source, values
// files confined to the source, inline values, the cluster's version and APIs
// when the sink knows them, vendored dependencies only, CRDs included.
#include <driftless/export.hpp>

#include "helm_stage.hpp"

namespace {

using namespace driftless;

class HelmRenderer : public Renderer {
 public:
  explicit HelmRenderer(renderers::HelmSettings settings) : settings_(std::move(settings)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    result.objects = std::move(request.objects);
    const std::string chart = settings_.chart.empty() ? request.path : settings_.chart;
    renderers::render_chart(context, request.artifact, chart, settings_, result);
    return result;
  }

 private:
  renderers::HelmSettings settings_;
};

class HelmRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return renderers::helm_keys(); }
  Result<std::string> tool_version() const override { return renderers::helm_version(""); }
  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    auto settings = renderers::helm_settings(config);
    if (!settings.ok()) return settings.error();
    return std::unique_ptr<Renderer>(std::make_unique<HelmRenderer>(std::move(*settings)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(HelmRendererFactory, "helm", "renderer", "0.1.0", "helm template of a chart in the source")
