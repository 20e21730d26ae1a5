// One renderer plugin built from a stage: its keys with the settings they
// fill, what it does on a render, and the tool whose version it reports.
// The yaml, kustomize, helm and auto plugins are each one such definition.
#pragma once

#include <memory>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/settings.hpp"

namespace driftless::renderers {

template <class Settings>
struct Stage {
  const SettingsSchema<Settings>& (*schema)();
  /// Appends to `out`, which already holds the objects of the earlier stages.
  void (*render)(Context& context, const RenderRequest& request, const Settings& settings, RenderResult& out);
  /// Version of the tool the stage runs (no_tool when it runs none).
  Result<std::string> (*tool_version)();
};

/// tool_version of a stage that runs no external tool.
inline Result<std::string> no_tool() { return std::string(); }

/// A renderer that keeps the objects it receives and adds the stage's own.
template <class Settings, const Stage<Settings>& stage>
class StageRenderer : public Renderer {
 public:
  explicit StageRenderer(Settings settings) : settings_(std::move(settings)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    result.objects = std::move(request.objects);
    stage.render(context, request, settings_, result);
    return result;
  }

 private:
  Settings settings_;
};

template <class Settings, const Stage<Settings>& stage>
class StageRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return stage.schema().keys(); }
  Result<std::string> tool_version() const override { return stage.tool_version(); }
  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    auto settings = stage.schema().read(config);
    if (!settings.ok()) return settings.error();
    return std::unique_ptr<Renderer>(std::make_unique<StageRenderer<Settings, stage>>(std::move(*settings)));
  }
};

}  // namespace driftless::renderers
