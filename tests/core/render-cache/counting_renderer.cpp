// Test plugin: renderer "counting" appends the rendered path to `countFile`
// on every render and yields one ConfigMap per path; it reports `reads` as
// the folders it read, fails when `fail` is set and says its result may not
// be reused when `cacheable` is false.
#include <driftless/export.hpp>

#include <fstream>

namespace {

using namespace driftless;

class CountingRenderer : public Renderer {
 public:
  explicit CountingRenderer(Value config) : config_(std::move(config)) {}

  RenderResult render(Context&, RenderRequest request) override {
    std::ofstream(config_.string_or("countFile"), std::ios::app) << request.path << "\n";
    RenderResult result;
    if (config_.find("fail")->as_bool()) {
      result.diagnostics.push_back({Severity::error, "failing as asked", request.path, 0, {}});
      return result;
    }
    std::string name = request.path;
    for (char& c : name)
      if (c == '/') c = '-';
    Object metadata;
    metadata.set("name", name);
    Object body;
    body.set("apiVersion", "v1");
    body.set("kind", "ConfigMap");
    body.set("metadata", Value(std::move(metadata)));
    result.objects.push_back({Value(std::move(body)), {request.path, 0, 1}});
    for (const auto& folder : config_.find("reads")->as_array()) result.read_folders.push_back(folder.as_string());
    result.cacheable = config_.find("cacheable")->as_bool();
    return result;
  }

 private:
  Value config_;
};

class CountingRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override {
    return {ConfigKey("countFile", ConfigType::string, "File that gets one line per render.").required(),
            ConfigKey("reads", ConfigType::string_list, "Folders reported as read.").default_to(Array{}),
            ConfigKey("fail", ConfigType::boolean, "Report an error.").default_to(false),
            ConfigKey("cacheable", ConfigType::boolean, "Let the core reuse the result.").default_to(true)};
  }
  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    return std::unique_ptr<Renderer>(std::make_unique<CountingRenderer>(config));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(CountingRendererFactory, "counting", "renderer", "0.0.1", "Counts renders (tests only)")
