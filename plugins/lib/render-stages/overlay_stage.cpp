#include "overlay_stage.hpp"

#include <algorithm>
#include <fstream>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "kustomize_stage.hpp"
#include "target_namespace.hpp"

namespace fs = std::filesystem;

namespace driftless::renderers {
namespace {

constexpr const char* kObjectsFile = "driftless-overlay-objects.yaml";
// Carries each object's position through the build, so the output is matched
// to its input whatever kustomize renamed; removed afterwards.
constexpr const char* kSourceIndex = "overlay.driftless.dev/source-index";

// The fields of Flux's (and kustomize's) patch target selector.
constexpr const char* kTargetFields[] = {"group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"};
constexpr const char* kImageFields[] = {"name", "newName", "newTag", "digest"};

template <std::size_t N>
bool known(const std::string& key, const char* const (&fields)[N]) {
  return std::find_if(std::begin(fields), std::end(fields), [&](const char* f) { return key == f; }) != std::end(fields);
}

// Each entry of a list key: a mapping of string fields, all named in `fields`.
template <std::size_t N>
Result<void> check_entries(const std::string& key, const Value& given, const char* const (&fields)[N],
                           const std::function<Result<void>(const std::string& where, const Value& entry)>& check) {
  if (!given.is_array()) return fail(ErrorCode::invalid_input, key + " must be a list");
  for (std::size_t i = 0; i < given.as_array().size(); ++i) {
    const std::string where = key + "[" + std::to_string(i) + "]";
    const Value& entry = given.as_array()[i];
    if (!entry.is_object()) return fail(ErrorCode::invalid_input, where + " must be a mapping");
    for (const auto& [field, value] : entry.as_object()) {
      if (!known(field, fields)) return fail(ErrorCode::invalid_input, where + ": unknown field '" + field + "'");
      if (!value.is_string() && !value.is_object())
        return fail(ErrorCode::invalid_input, where + "." + field + " must be a string");
    }
    if (auto done = check(where, entry); !done.ok()) return done;
  }
  return {};
}

constexpr const char* kPatchFields[] = {"patch", "target"};

// Flux's spec.patches: an inline strategic merge patch (a mapping) or JSON
// 6902 patch (a list), with an optional target selector.
Result<Value> checked_patches(const std::string& key, Value given) {
  auto done = check_entries(key, given, kPatchFields, [](const std::string& where, const Value& entry) -> Result<void> {
    const Value* patch = entry.find("patch");
    if (!patch || !patch->is_string() || patch->as_string().empty())
      return fail(ErrorCode::invalid_input, where + ".patch must be the patch's text");
    auto parsed = parse_yaml(patch->as_string(), where + ".patch");
    if (has_errors(parsed.diagnostics))
      return fail(ErrorCode::invalid_input, where + ".patch is not YAML: " + parsed.diagnostics.front().message);
    if (parsed.documents.empty() || !(parsed.documents[0].value.is_object() || parsed.documents[0].value.is_array()))
      return fail(ErrorCode::invalid_input, where + ".patch must be a strategic merge patch (a mapping) or a JSON 6902 patch (a list)");
    const Value* target = entry.find("target");
    if (target && !target->is_object()) return fail(ErrorCode::invalid_input, where + ".target must be a mapping");
    if (target)
      for (const auto& [field, value] : target->as_object())
        if (!known(field, kTargetFields) || !value.is_string())
          return fail(ErrorCode::invalid_input, where + ".target: '" + field + "' is not a selector field (" +
                                                    "group, version, kind, name, namespace, labelSelector, annotationSelector)");
    if (parsed.documents[0].value.is_array() && !target)
      return fail(ErrorCode::invalid_input, where + ": a JSON 6902 patch needs a target");
    return {};
  });
  if (!done.ok()) return done.error();
  return given;
}

Result<Value> checked_images(const std::string& key, Value given) {
  auto done = check_entries(key, given, kImageFields, [](const std::string& where, const Value& entry) -> Result<void> {
    for (const auto& [field, value] : entry.as_object())
      if (!value.is_string()) return fail(ErrorCode::invalid_input, where + "." + field + " must be a string");
    if (entry.string_or("name").empty()) return fail(ErrorCode::invalid_input, where + ".name is required");
    return {};
  });
  if (!done.ok()) return done.error();
  return given;
}

// Flux takes only local, relative component paths.
Result<std::vector<std::string>> checked_components(const std::string& key, std::vector<std::string> given) {
  for (std::size_t i = 0; i < given.size(); ++i) {
    const std::string& path = given[i];
    const std::string where = key + "[" + std::to_string(i) + "]";
    if (path.empty() || fs::path(path).is_absolute() || path.find("://") != std::string::npos || path.find("?ref=") != std::string::npos)
      return fail(ErrorCode::invalid_input, where + ": component path '" + path + "' must be local and relative");
  }
  return given;
}

const SettingsSchema<CommonMetadata>& common_metadata_schema() {
  static const auto schema =
      SettingsSchema<CommonMetadata>()
          .key(ConfigKey("labels", ConfigType::map, "Labels set on every object."), &CommonMetadata::labels)
          .key(ConfigKey("annotations", ConfigType::map, "Annotations set on every object."), &CommonMetadata::annotations);
  return schema;
}

bool write_text(const fs::path& file, const std::string& text) {
  std::ofstream stream(file, std::ios::binary | std::ios::trunc);
  stream << text;
  return static_cast<bool>(stream);
}

// The generated kustomization: the objects as its one resource, the keys as
// Flux writes them into a Kustomization's kustomization.yaml.
Value overlay_kustomization(const OverlaySettings& settings) {
  Object k;
  k.set("apiVersion", "kustomize.config.k8s.io/v1beta1");
  k.set("kind", "Kustomization");
  k.set("resources", Array{kObjectsFile});
  if (!settings.target_namespace.empty()) k.set("namespace", settings.target_namespace);
  if (!settings.name_prefix.empty()) k.set("namePrefix", settings.name_prefix);
  if (!settings.name_suffix.empty()) k.set("nameSuffix", settings.name_suffix);
  if (!settings.patches.as_array().empty()) k.set("patches", settings.patches);
  if (!settings.images.as_array().empty()) k.set("images", settings.images);
  if (!settings.components.empty()) {
    Array components;
    for (const auto& c : settings.components) components.emplace_back(c);
    k.set("components", std::move(components));
  }
  return k;
}

// The objects, each marked with its position.
std::string objects_file(const std::vector<KubeObject>& objects) {
  std::string text;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    Value body = objects[i].body;
    annotations_of(body).set(kSourceIndex, std::to_string(i));
    text += "---\n" + to_yaml(body);
  }
  return text;
}

// The input position an output object carries, with the mark removed (and
// an annotations map that only the mark made, too).
std::optional<std::size_t> take_source_index(Value& body, const std::vector<KubeObject>& inputs) {
  Value* metadata = body.find("metadata");
  Value* annotations = metadata ? metadata->find("annotations") : nullptr;
  Value* mark = annotations ? annotations->find(kSourceIndex) : nullptr;
  if (!mark || !mark->is_string()) return std::nullopt;
  std::optional<std::size_t> index;
  const std::string text = mark->as_string();
  if (!text.empty() && text.size() < 12 && std::all_of(text.begin(), text.end(), ::isdigit) && std::stoull(text) < inputs.size())
    index = std::stoull(text);
  annotations->as_object().erase(kSourceIndex);
  const bool had_annotations = index && inputs[*index].body.at_path({"metadata", "annotations"});
  if (annotations->as_object().empty() && !had_annotations) metadata->as_object().erase("annotations");
  return index;
}

// Keys only kustomize applies; targetNamespace alone often needs no kustomize.
bool transforms(const OverlaySettings& s) {
  return !s.name_prefix.empty() || !s.name_suffix.empty() || !s.patches.as_array().empty() || !s.images.as_array().empty() ||
         !s.components.empty();
}

// `kustomize build` of the overlay over `out.objects`; nullopt after an error.
std::optional<std::vector<KubeObject>> build_overlay(Context& context, const Artifact& artifact, const std::string& path,
                                                     const OverlaySettings& settings, RenderResult& out) {
  const std::string own = kustomization_file(artifact, path);
  const std::string named = own.empty() ? path : own;  // what the messages name
  auto error = [&](const std::string& message) {
    out.diagnostics.push_back({Severity::error, "overlay: " + message, named, 0, {}});
    return std::nullopt;
  };
  auto tool = find_tool("kustomize", settings.kustomize_path, "kustomizePath");
  if (!tool.ok()) return error(tool.error().message);
  std::vector<std::string> component_folders;
  for (std::size_t i = 0; i < settings.components.size(); ++i) {
    const std::string where = "components[" + std::to_string(i) + "] '" + settings.components[i] + "'";
    auto folder = join_inside(path, settings.components[i]);
    if (!folder) return error(where + " leaves the artifact; components must live inside it");
    if (*folder == path) return error(where + " is the rendered folder itself");
    std::error_code ec;
    if (!fs::is_directory(artifact.root / *folder, ec)) return error(where + " is not a folder of the artifact");
    component_folders.push_back(*folder);
  }
  ScratchDir home;
  if (home.path().empty()) return error("cannot create a temporary folder for kustomize");
  // Components are built from a copy of what they read, laid out as in the
  // artifact, so their relative paths resolve as they do in Flux.
  KustomizeSettings checks;
  checks.limits = settings.limits;
  Artifact copy;
  copy.root = home.path() / "repository";
  if (!component_folders.empty()) {
    auto copied = copy_kustomization_inputs(artifact, component_folders, checks, copy.root, out);
    if (!copied) return std::nullopt;
    copy = *copied;
  }
  const fs::path folder = copy.root / path;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (fs::exists(folder / "kustomization.yaml", ec) || fs::exists(folder / kObjectsFile, ec))
    return error("a component reads the rendered folder's own kustomization, which the overlay replaces");
  if (!write_text(folder / kObjectsFile, objects_file(out.objects)) ||
      !write_text(folder / "kustomization.yaml", to_yaml(overlay_kustomization(settings))))
    return error("cannot write the overlay's files for kustomize");
  ToolRun run{*tool, {"build", "."}, path, named, settings.limits, false, {}};
  const std::size_t before = out.diagnostics.size();
  auto output = run_tool(context, copy, home, run, out);
  if (!output) {
    for (std::size_t i = before; i < out.diagnostics.size(); ++i) out.diagnostics[i].message.insert(0, "overlay: ");
    return std::nullopt;
  }
  RenderResult built = parse_manifests(*output, named);
  for (auto& d : built.diagnostics) out.diagnostics.push_back(std::move(d));
  // An object a component adds comes from that component.
  const std::string created_by = component_folders.empty() ? named : kustomization_file(artifact, component_folders.front());
  for (auto& object : built.objects) {
    auto index = take_source_index(object.body, out.objects);
    object.origin = index ? out.objects[*index].origin : Provenance{created_by.empty() ? named : created_by, 0, 0};
  }
  return std::move(built.objects);
}

// As Flux's SetCommonMetadata (fluxcd/pkg ssa/utils): every object gets the
// labels and annotations, existing keys overwritten; selectors and templates
// are not touched.
void set_common_metadata(const CommonMetadata& metadata, std::vector<KubeObject>& objects) {
  for (auto& object : objects) {
    if (!object.body.is_object()) continue;
    if (!metadata.labels.empty())
      for (const auto& [key, value] : metadata.labels) labels_of(object.body).set(key, value);
    if (!metadata.annotations.empty())
      for (const auto& [key, value] : metadata.annotations) annotations_of(object.body).set(key, value);
  }
}

}  // namespace

const SettingsSchema<OverlaySettings>& overlay_schema() {
  using O = OverlaySettings;
  static const auto schema =
      SettingsSchema<O>()
          .key(ConfigKey("kustomizePath", ConfigType::path, "The kustomize binary; empty finds `kustomize` on the PATH.")
                   .default_to(""),
               &O::kustomize_path)
          .key(ConfigKey("targetNamespace", ConfigType::string,
                         "Namespace set on every namespaced object (kustomize's `namespace`, Flux's targetNamespace)."),
               &O::target_namespace)
          .key(ConfigKey("namePrefix", ConfigType::string, "Prefix added to every object's name, references updated."),
               &O::name_prefix)
          .key(ConfigKey("nameSuffix", ConfigType::string, "Suffix added to every object's name, references updated."),
               &O::name_suffix)
          .block(ConfigKey("commonMetadata", ConfigType::object,
                           "Labels and annotations set on every object after the build, as Flux sets them: selectors "
                           "and pod templates are left alone (unlike kustomize's commonLabels)."),
                 &O::common_metadata, common_metadata_schema())
          .key(ConfigKey("patches", ConfigType::any,
                         "Inline patches, as Flux's spec.patches: a list of {patch, target}, `patch` the text of a "
                         "strategic merge patch or a JSON 6902 patch, `target` a selector (group, version, kind, name, "
                         "namespace, labelSelector, annotationSelector)."),
               &O::patches, checked_patches)
          .key(ConfigKey("images", ConfigType::any,
                         "Image overrides, as Flux's spec.images: a list of {name, newName, newTag, digest}."),
               &O::images, checked_images)
          .key(ConfigKey("components", ConfigType::string_list,
                         "Kustomize components (folders of the artifact, relative to the rendered path) applied to the "
                         "objects; checked like kustomize bases, never remote."),
               &O::components, checked_components)
          .part(&O::limits, tool_limits_schema());
  return schema;
}

void apply_overlay(Context& context, const Artifact& artifact, const std::string& path, const OverlaySettings& settings,
                   RenderResult& out) {
  const bool native = !transforms(settings) &&
                      (settings.target_namespace.empty() || set_namespace_as_kustomize_would(out.objects, settings.target_namespace));
  if (!native) {
    auto built = build_overlay(context, artifact, path, settings, out);
    if (!built) return;
    out.objects = std::move(*built);
  }
  set_common_metadata(settings.common_metadata, out.objects);
}

}  // namespace driftless::renderers
