// renderer "test-declare", for the declared-pipeline tests: each object of
// kind test.driftless.dev/v1 Pipeline declares a pipeline
// {name: metadata.name, path, dependsOn, suspend, sink, source: {type, config}} and is taken out of
// the render. Declared pipelines render with yaml and this renderer again.
#include <driftless/export.hpp>

namespace {

using namespace driftless;

class DeclareRenderer : public Renderer {
 public:
  RenderResult render(Context&, RenderRequest request) override {
    RenderResult out;
    for (auto& object : request.objects) {
      if (object.api_version() != "test.driftless.dev/v1" || object.kind() != "Pipeline") {
        out.objects.push_back(std::move(object));
        continue;
      }
      const Value* spec = object.body.find("spec");
      DeclaredPipeline declared;
      declared.name = object.name();
      declared.path = spec ? spec->string_or("path") : "";
      declared.renderers = {{"yaml", Value(Object{})}, {"test-declare", Value(Object{})}};
      if (const Value* sink = spec ? spec->find("sink") : nullptr) declared.sink = *sink;
      if (const Value* source = spec ? spec->find("source") : nullptr; source && source->is_object())
        declared.source = PluginUse{source->string_or("type"), source->find("config") ? *source->find("config") : Value()};
      if (const Value* after = spec ? spec->find("dependsOn") : nullptr; after && after->is_array())
        for (const auto& name : after->as_array()) declared.depends_on.push_back(name.is_string() ? name.as_string() : "");
      const Value* suspend = spec ? spec->find("suspend") : nullptr;
      declared.suspended = suspend && suspend->is_bool() && suspend->as_bool();
      declared.declared_by = object.id();
      declared.origin = object.origin;
      out.pipelines.push_back(std::move(declared));
    }
    return out;
  }
};

class DeclareRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return {}; }
  Result<std::unique_ptr<Renderer>> create(const Value&) const override {
    return std::unique_ptr<Renderer>(std::make_unique<DeclareRenderer>());
  }
};

}  // namespace

DRIFTLESS_PLUGIN(DeclareRendererFactory, "test-declare", "renderer", "0.1.0", "Declares pipelines for the core's tests")
