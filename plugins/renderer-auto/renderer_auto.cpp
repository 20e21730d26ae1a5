// renderer "auto": picks per folder. The rendered folder, or any folder below
// it, holding a kustomization is built with kustomize, one holding a
// Chart.yaml is rendered with helm; manifest files everywhere else are read
// as by the yaml renderer. It takes the keys of all three (not `chart` and
// `build`, which it decides itself) and runs their code, not a copy of it.
#include <driftless/export.hpp>
#include <driftless/files.hpp>

#include <map>

#include "helm_stage.hpp"
#include "kustomize_stage.hpp"
#include "yaml_stage.hpp"

namespace {

using namespace driftless;

struct AutoSettings {
  renderers::YamlSettings yaml;
  renderers::KustomizeSettings kustomize;
  renderers::HelmSettings helm;
};

class AutoRenderer : public Renderer {
 public:
  explicit AutoRenderer(AutoSettings settings) : settings_(std::move(settings)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    result.objects = std::move(request.objects);
    const Artifact& artifact = request.artifact;
    std::vector<std::string> kustomizations;
    std::vector<std::string> charts;
    auto owned_by_a_tool = [&](const std::string& folder) {
      if (!renderers::kustomization_file(artifact, folder).empty()) {
        kustomizations.push_back(folder);
        return true;
      }
      if (renderers::is_chart(artifact, folder)) {
        charts.push_back(folder);
        return true;
      }
      return false;
    };
    if (!owned_by_a_tool(request.path))
      renderers::render_yaml_files(context, artifact, request.path, settings_.yaml, result, owned_by_a_tool);
    if (!kustomizations.empty()) renderers::build_kustomizations(context, artifact, kustomizations, settings_.kustomize, result);
    for (const auto& chart : charts) renderers::render_chart(context, artifact, chart, settings_.helm, result);
    return result;
  }

 private:
  AutoSettings settings_;
};

class AutoRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override {
    std::vector<ConfigKey> keys;
    std::map<std::string, bool> seen{{"chart", true}, {"build", true}};
    for (auto list : {renderers::yaml_keys(), renderers::kustomize_keys(), renderers::helm_keys()})
      for (auto& key : list)
        if (!seen[key.name]) {
          seen[key.name] = true;
          keys.push_back(std::move(key));
        }
    return keys;
  }
  Result<std::string> tool_version() const override {
    auto kustomize = renderers::kustomize_version("");
    auto helm = renderers::helm_version("");
    if (!kustomize.ok()) return kustomize.error();
    if (!helm.ok()) return helm.error();
    return *kustomize + ", " + *helm;
  }
  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    AutoSettings settings;
    auto yaml = renderers::yaml_settings(config);
    if (!yaml.ok()) return yaml.error();
    auto kustomize = renderers::kustomize_settings(config);
    if (!kustomize.ok()) return kustomize.error();
    auto helm = renderers::helm_settings(config);
    if (!helm.ok()) return helm.error();
    settings.yaml = std::move(*yaml);
    settings.kustomize = std::move(*kustomize);
    settings.helm = std::move(*helm);
    return std::unique_ptr<Renderer>(std::make_unique<AutoRenderer>(std::move(settings)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(AutoRendererFactory, "auto", "renderer", "0.1.0",
                 "Per folder: kustomize for a kustomization, helm for a chart, plain YAML otherwise")
