#include "yaml_stage.hpp"

#include <algorithm>

#include "driftless/toolkit/files.hpp"
#include "helm_stage.hpp"
#include "hooks.hpp"
#include "kustomize_stage.hpp"

namespace driftless::renderers {
namespace {

Result<Globs> globs(const std::string& key, const std::vector<std::string>& written) {
  Globs out;
  for (const auto& glob : written) {
    auto pattern = PathPattern::parse(glob);
    if (!pattern || pattern->negated()) return fail(ErrorCode::invalid_input, key + ": '" + glob + "' is not a usable glob");
    out.patterns.push_back(std::move(*pattern));
    out.text += (out.text.empty() ? "" : ", ") + glob;
  }
  return out;
}

// Files nobody would take for manifests: documentation, licences, images.
bool plainly_not_a_manifest(const std::string& file) {
  static const std::vector<std::string> names{"readme", "license", "licence", "copying", "notice", "changelog",
                                              "owners", "codeowners", "authors", "makefile"};
  static const std::vector<std::string> endings{".md", ".txt", ".rst", ".adoc", ".png", ".jpg", ".jpeg", ".gif",
                                                ".svg", ".ico", ".webp", ".pdf"};
  std::string name = std::filesystem::path(file).filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& prefix : names)
    if (name.rfind(prefix, 0) == 0) return true;
  for (const auto& ending : endings)
    if (name.size() > ending.size() && name.compare(name.size() - ending.size(), ending.size(), ending) == 0) return true;
  return false;
}

// Jsonnet, which Argo CD evaluates in a folder app and driftless does not.
bool jsonnet(const std::string& file) { return file.ends_with(".jsonnet") || file.ends_with(".libsonnet"); }

// Nothing read is silently left out: every other file is named.
void report_not_included(const std::vector<std::string>& files, const YamlSettings& settings,
                         std::vector<Diagnostic>& out) {
  std::vector<std::string> plain;
  for (const auto& file : files) {
    if (plainly_not_a_manifest(file)) plain.push_back(file);
    else if (jsonnet(file))
      out.push_back({Severity::warning,
                     "not read: driftless does not evaluate Jsonnet; render it to YAML (jsonnet -y) in CI and commit "
                     "the output, or exclude it",
                     file, 0, {}});
    else
      out.push_back({Severity::warning,
                     "not read: the file matches none of the include globs (" + settings.include.text +
                         "); add it to include, exclude it, or render it with a renderer that reads it",
                     file, 0, {}});
  }
  if (plain.empty()) return;
  std::string examples;
  for (std::size_t i = 0; i < plain.size() && i < 3; ++i) examples += (i ? ", " : "") + plain[i];
  out.push_back({Severity::info,
                 std::to_string(plain.size()) + " documentation or image file" + (plain.size() == 1 ? "" : "s") +
                     " not read (" + examples + (plain.size() > 3 ? ", ..." : "") + ")",
                 {}, 0, {}});
}

}  // namespace

const SettingsSchema<YamlSettings>& yaml_schema() {
  using Y = YamlSettings;
  static const auto schema =
      SettingsSchema<Y>()
          .key(ConfigKey("include", ConfigType::string_list,
                         "Globs of the files to read, relative to the rendered folder ('**' spans folders; a glob without "
                         "'/' matches file names at any depth).")
                   .default_to(Array{"*.yaml", "*.yml", "*.json"}),
               &Y::include, globs)
          .key(ConfigKey("exclude", ConfigType::string_list, "Globs of files not to read, even when included.").default_to(Array{}),
               &Y::exclude, globs)
          .key(ConfigKey("maxFileSize", ConfigType::integer, "Largest file read, in bytes; larger files are an error.")
                   .default_to(std::int64_t{16} * 1024 * 1024),
               &Y::max_file_size, Minimum::positive())
          .key(ConfigKey("maxTotalSize", ConfigType::integer,
                         "Most bytes one render reads from all files together; more is an error.")
                   .default_to(std::int64_t{64} * 1024 * 1024),
               &Y::max_total_size, Minimum::positive())
          .choice(ConfigKey("missingKind", ConfigType::string, "What a document without apiVersion or kind is.").default_to("error"),
                  &Y::missing_kind,
                  {{"error", MissingKind::error}, {"warning", MissingKind::warning}, {"ignore", MissingKind::ignore}});
  return schema;
}

namespace {

// A folder a tool renders, met by the yaml renderer alone: an error naming it
// and the renderer that builds it, instead of its files read as manifests
// (a kustomization.yaml is no object; a chart's templates are no YAML).
// `skipped` says whether the file that makes it one is left out on purpose.
bool refuse_tool_folder(const Artifact& artifact, const std::string& folder,
                        const std::function<bool(const std::string& file)>& skipped, std::vector<Diagnostic>& out) {
  const std::string kustomization = kustomization_file(artifact, folder);
  const bool chart = kustomization.empty() && is_chart(artifact, folder);
  const std::string marker = chart ? join(folder, "Chart.yaml") : kustomization;
  if (marker.empty() || skipped(marker)) return false;
  const std::string tool = chart ? "helm" : "kustomize";
  out.push_back({Severity::error,
                 std::string(chart ? "a Helm chart" : "a kustomization") + " is here, and the yaml renderer reads "
                     "manifest files only: use the auto renderer (the default when a pipeline names no renderers), which "
                     "builds it with " + tool + ", or the " + tool + " renderer; or exclude " + marker,
                 marker, 0, {}});
  return true;
}

}  // namespace

void render_yaml_files(Context& context, const Artifact& artifact, const std::string& folder, const YamlSettings& settings,
                       RenderResult& out, const std::function<bool(const std::string& folder)>& owned_elsewhere) {
  IgnoreRules ignore;
  auto skipped = [&](const std::string& file) {
    const std::string rel = relative_to(folder, file);
    return any_matches(settings.exclude.patterns, rel) || ignore.ignored(rel, false);
  };
  auto owned = [&](const std::string& sub) {
    return owned_elsewhere ? owned_elsewhere(sub) : refuse_tool_folder(artifact, sub, skipped, out.diagnostics);
  };
  ignore.load(artifact.root, folder, folder, out.diagnostics);
  if (!owned_elsewhere && owned(folder)) return;
  std::vector<std::string> not_included;
  FileFilter filter;
  filter.enter = [&](const std::string& sub) {
    if (ignore.ignored(relative_to(folder, sub), true)) return false;
    if (owned(sub)) return false;
    ignore.load(artifact.root, folder, sub, out.diagnostics);
    return true;
  };
  filter.keep = [&](const std::string& file) {
    const std::string rel = relative_to(folder, file);
    if (skipped(file)) return false;  // left out on purpose (exclude, .driftlessignore): nothing to say
    if (any_matches(settings.include.patterns, rel)) return true;
    not_included.push_back(file);
    return false;
  };
  ManifestOptions options;
  options.missing_kind = settings.missing_kind;
  std::uintmax_t total = 0;
  const auto files = walk_files(artifact.root, folder, filter, out.diagnostics);
  report_not_included(not_included, settings, out.diagnostics);
  for (const auto& file : files) {
    if (context.cancelled()) {
      out.diagnostics.push_back({Severity::error, "rendering was cancelled or ran out of time", file, 0, {}});
      return;
    }
    // The walk already refused links out of the artifact and special files; a
    // file's size is checked before a byte of it is read.
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(artifact.root / file, ec);
    if (!ec && size <= settings.max_file_size && total + size > settings.max_total_size) {
      out.diagnostics.push_back({Severity::error,
                                 "the files read so far and this one add up to " + std::to_string(total + size) +
                                     " bytes, over maxTotalSize (" + std::to_string(settings.max_total_size) +
                                     " bytes); nothing more is read. Render fewer files (a narrower path, exclude) or "
                                     "raise maxTotalSize",
                                 file, 0, {}});
      return;
    }
    auto text = read_file_capped(artifact.root / file, settings.max_file_size);
    if (!text.ok()) {
      out.diagnostics.push_back({Severity::error, text.error().message, file, 0, {}});
      continue;
    }
    total += text->size();
    RenderResult parsed = parse_manifests(*text, file, options);
    for (auto& d : parsed.diagnostics) out.diagnostics.push_back(std::move(d));
    mark_hooks(parsed.objects, out.diagnostics);
    for (auto& object : parsed.objects) out.objects.push_back(std::move(object));
  }
}

}  // namespace driftless::renderers
