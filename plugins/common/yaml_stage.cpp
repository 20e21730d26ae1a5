#include "yaml_stage.hpp"

#include "driftless/files.hpp"

namespace driftless::renderers {
namespace {

Result<std::vector<PathPattern>> patterns(const Value& config, const char* key) {
  std::vector<PathPattern> out;
  for (const auto& glob : config.find(key)->as_array()) {
    auto pattern = PathPattern::parse(glob.as_string());
    if (!pattern || pattern->negated())
      return fail(ErrorCode::invalid_input, std::string(key) + ": '" + glob.as_string() + "' is not a usable glob");
    out.push_back(std::move(*pattern));
  }
  return out;
}

}  // namespace

std::vector<ConfigKey> yaml_keys() {
  return {
      ConfigKey("include", ConfigType::string_list,
                "Globs of the files to read, relative to the rendered folder ('**' spans folders; a glob without '/' "
                "matches file names at any depth).")
          .default_to(Array{"*.yaml", "*.yml", "*.json"}),
      ConfigKey("exclude", ConfigType::string_list, "Globs of files not to read, even when included.").default_to(Array{}),
      ConfigKey("maxFileSize", ConfigType::integer, "Largest file read, in bytes; larger files are an error.")
          .default_to(std::int64_t{16} * 1024 * 1024),
      ConfigKey("missingKind", ConfigType::string, "What a document without apiVersion or kind is.")
          .default_to("error")
          .one_of({"error", "warning", "ignore"}),
  };
}

Result<YamlSettings> yaml_settings(const Value& config) {
  YamlSettings settings;
  auto include = patterns(config, "include");
  if (!include.ok()) return include.error();
  auto exclude = patterns(config, "exclude");
  if (!exclude.ok()) return exclude.error();
  settings.include = std::move(*include);
  settings.exclude = std::move(*exclude);
  const std::int64_t max = config.find("maxFileSize")->as_int();
  if (max <= 0) return fail(ErrorCode::invalid_input, "maxFileSize must be positive");
  settings.max_file_size = static_cast<std::uintmax_t>(max);
  const std::string missing = config.string_or("missingKind", "error");
  settings.missing_kind = missing == "ignore" ? MissingKind::ignore : missing == "warning" ? MissingKind::warning : MissingKind::error;
  return settings;
}

void render_yaml_files(Context& context, const Artifact& artifact, const std::string& folder, const YamlSettings& settings,
                       RenderResult& out, const std::function<bool(const std::string& folder)>& owned_elsewhere) {
  IgnoreRules ignore;
  ignore.load(artifact.root, folder, folder, out.diagnostics);
  FileFilter filter;
  filter.enter = [&](const std::string& sub) {
    if (ignore.ignored(relative_to(folder, sub), true)) return false;
    if (owned_elsewhere && owned_elsewhere(sub)) return false;
    ignore.load(artifact.root, folder, sub, out.diagnostics);
    return true;
  };
  filter.keep = [&](const std::string& file) {
    const std::string rel = relative_to(folder, file);
    return any_matches(settings.include, rel) && !any_matches(settings.exclude, rel) && !ignore.ignored(rel, false);
  };
  ManifestOptions options;
  options.missing_kind = settings.missing_kind;
  for (const auto& file : walk_files(artifact.root, folder, filter, out.diagnostics)) {
    if (context.cancelled()) {
      out.diagnostics.push_back({Severity::error, "rendering was cancelled or ran out of time", file, 0, {}});
      return;
    }
    // The walk already refused links out of the artifact; a file's size is
    // checked before a byte of it is read.
    auto text = read_file_capped(artifact.root / file, settings.max_file_size);
    if (!text.ok()) {
      out.diagnostics.push_back({Severity::error, text.error().message, file, 0, {}});
      continue;
    }
    RenderResult parsed = parse_manifests(*text, file, options);
    for (auto& d : parsed.diagnostics) out.diagnostics.push_back(std::move(d));
    for (auto& object : parsed.objects) out.objects.push_back(std::move(object));
  }
}

}  // namespace driftless::renderers
