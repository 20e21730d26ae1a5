// A custom renderer: stamps the labels and annotations of its config onto
// every object of the previous stage, and refuses objects in namespaces the
// team does not own. Built outside the driftless tree against the installed
// SDK (see CMakeLists.txt and docs/plugins.md).
#include <driftless/export.hpp>

#include <algorithm>

namespace {

using namespace driftless;

class TeamLabels : public Renderer {
 public:
  TeamLabels(Object labels, Object annotations, std::vector<std::string> namespaces)
      : labels_(std::move(labels)), annotations_(std::move(annotations)), namespaces_(std::move(namespaces)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    for (auto& object : request.objects) {
      const std::string ns = object.namespace_name();
      if (!namespaces_.empty() && !ns.empty() && std::find(namespaces_.begin(), namespaces_.end(), ns) == namespaces_.end()) {
        result.diagnostics.push_back({Severity::error, "namespace '" + ns + "' is not one of this team's namespaces",
                                      object.origin.file, object.origin.line, object.id()});
        continue;
      }
      for (const auto& [key, value] : labels_) labels_of(object.body).set(key, value);
      for (const auto& [key, value] : annotations_) annotations_of(object.body).set(key, value);
      result.objects.push_back(std::move(object));
    }
    context.logger().debug("labelled objects", {{"count", std::to_string(result.objects.size())}});
    return result;
  }

 private:
  Object labels_;
  Object annotations_;
  std::vector<std::string> namespaces_;
};

class TeamLabelsFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override {
    return {
        ConfigKey("labels", ConfigType::map, "Labels added to every object.").required(),
        ConfigKey("annotations", ConfigType::map, "Annotations added to every object.").default_to(Object()),
        ConfigKey("namespaces", ConfigType::string_list, "Namespaces the team may use; empty allows all.").default_to(Array()),
    };
  }

  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    const Object& labels = config.find("labels")->as_object();
    if (labels.empty()) return fail(ErrorCode::invalid_input, "'labels' must name at least one label");
    std::vector<std::string> namespaces;
    for (const auto& ns : config.find("namespaces")->as_array()) namespaces.push_back(ns.as_string());
    return std::unique_ptr<Renderer>(
        std::make_unique<TeamLabels>(labels, config.find("annotations")->as_object(), std::move(namespaces)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(TeamLabelsFactory, "team-labels", "renderer", "1.0.0", "Adds a team's labels and annotations")
