// team-labels: a custom renderer, built outside the driftless tree against
// the installed SDK. It labels every object with its team, leaves out the
// objects annotated `policy.example/skip: "true"` (with a warning) and refuses
// a Secret without a type. docs/plugins.md walks through this file.
#include <driftless/export.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace driftless;  // the SDK: Renderer, KubeObject, Value, Diagnostic, ...

// An object annotated with this key and the value "true" is left out.
constexpr const char* kSkipAnnotation = "policy.example/skip";

class TeamLabels : public Renderer {
 public:
  explicit TeamLabels(std::string team) : team_(std::move(team)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    for (KubeObject& object : request.objects) {
      const Value* skip = object.body.at_path({"metadata", "annotations", kSkipAnnotation});
      if (skip && skip->is_string() && skip->as_string() == "true") {
        result.diagnostics.push_back({Severity::warning, std::string("left out: it is annotated ") + kSkipAnnotation,
                                      object.origin.file, object.origin.line, object.id()});
        continue;
      }
      if (object.kind() == "Secret" && !object.body.find("type")) {
        result.diagnostics.push_back({Severity::error, "a Secret needs a 'type', e.g. type: Opaque",
                                      object.origin.file, object.origin.line, object.id()});
        continue;
      }
      labels_of(object.body).set("team", team_);
      result.objects.push_back(std::move(object));  // its origin (file, line) goes along
    }
    context.logger().debug("labelled objects", {{"count", std::to_string(result.objects.size())}});
    return result;
  }

 private:
  std::string team_;
};

class TeamLabelsFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override {
    return {
        ConfigKey("team", ConfigType::string, "The team that owns the objects: the value of their 'team' label.")
            .required(),
    };
  }

  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    std::string team = config.string_or("team");
    if (team.empty()) return fail(ErrorCode::invalid_input, "'team' must not be empty");
    return std::unique_ptr<Renderer>(std::make_unique<TeamLabels>(std::move(team)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(TeamLabelsFactory, "team-labels", "renderer", "1.0.0", "Labels objects with their team")
