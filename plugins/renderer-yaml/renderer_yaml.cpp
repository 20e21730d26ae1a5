// renderer "yaml": every .yaml/.yml/.json file below the pipeline's folder, in
// byte order of their paths, each document an object (`kind: List` flattened),
// appended to the objects of the previous stage.
#include <driftless/export.hpp>
#include <driftless/files.hpp>
#include <driftless/yaml.hpp>

namespace {

using namespace driftless;

class YamlRenderer : public Renderer {
 public:
  YamlRenderer(std::int64_t max_file_size, std::string missing_kind)
      : max_file_size_(max_file_size), missing_kind_(std::move(missing_kind)) {}

  RenderResult render(Context& context, RenderRequest request) override {
    RenderResult result;
    result.objects = std::move(request.objects);
    const auto files = list_files(request.artifact.root, request.path, {".yaml", ".yml", ".json"}, result.diagnostics);
    for (const auto& file : files) {
      if (context.cancelled()) {
        result.diagnostics.push_back({Severity::error, "rendering was cancelled or ran out of time", file, 0, {}});
        break;
      }
      auto text = read_file_capped(request.artifact.root / file, static_cast<std::uintmax_t>(max_file_size_));
      if (!text.ok()) {
        result.diagnostics.push_back({Severity::error, text.error().message, file, 0, {}});
        continue;
      }
      YamlParseResult parsed = parse_yaml(*text, file);
      for (auto& d : parsed.diagnostics) result.diagnostics.push_back(std::move(d));
      for (auto& document : parsed.documents) add(std::move(document), file, result);
    }
    return result;
  }

 private:
  void add(YamlDocument document, const std::string& file, RenderResult& result) const {
    KubeObject object{std::move(document.value), Provenance{file, document.index, document.line}};
    if (!object.body.is_object()) {
      result.diagnostics.push_back({Severity::error, "the document is a " + std::string(to_string(object.body.type())) +
                                                         ", not a Kubernetes object", file, document.line, {}});
      return;
    }
    if (object.kind() == "List" && object.body.find("items") && object.body.find("items")->is_array()) {
      for (auto& item : object.body.find("items")->as_array())
        add(YamlDocument{std::move(item), document.index, document.line}, file, result);
      return;
    }
    if (object.api_version().empty() || object.kind().empty()) {
      if (missing_kind_ != "ignore")
        result.diagnostics.push_back({missing_kind_ == "error" ? Severity::error : Severity::warning,
                                      "the document has no apiVersion or kind (set missingKind: ignore to skip such documents)",
                                      file, document.line, object.name()});
      return;
    }
    result.objects.push_back(std::move(object));
  }

  std::int64_t max_file_size_;
  std::string missing_kind_;
};

class YamlRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override {
    return {
        ConfigKey("maxFileSize", ConfigType::integer, "Largest file read, in bytes; larger files are an error.")
            .default_to(std::int64_t{16} * 1024 * 1024),
        ConfigKey("missingKind", ConfigType::string, "What a document without apiVersion or kind is.")
            .default_to("error")
            .one_of({"error", "warning", "ignore"}),
    };
  }
  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    std::int64_t max = config.find("maxFileSize")->as_int();
    if (max <= 0) return fail(ErrorCode::invalid_input, "maxFileSize must be positive");
    return std::unique_ptr<Renderer>(std::make_unique<YamlRenderer>(max, config.string_or("missingKind")));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(YamlRendererFactory, "yaml", "renderer", "0.1.0", "Plain YAML and JSON manifests")
