#include "helm_stage.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "hooks.hpp"
#include "kind_scope.hpp"

namespace fs = std::filesystem;

namespace driftless::renderers {
namespace {

Result<std::string> inside_source(const std::string& key, const std::string& path) {
  const fs::path p(path);
  if (p.is_absolute() || std::any_of(p.begin(), p.end(), [](const fs::path& part) { return part == ".."; }))
    return fail(ErrorCode::invalid_input, key + ": '" + path + "' must be a path inside the source, without '..'");
  return path;
}

Result<std::vector<std::string>> all_inside_source(const std::string& key, const std::vector<std::string>& paths) {
  for (const auto& path : paths)
    if (auto inside = inside_source(key, path); !inside.ok()) return inside.error();
  return paths;
}

Result<Value> mapping(const std::string& key, const Value& values) {
  if (!values.is_null() && !values.is_object()) return fail(ErrorCode::invalid_input, key + " must be a mapping");
  return values;
}

// Start lines of helm's "# Source: chart/templates/x.yaml" comments, so that
// each object can name the template it came from.
std::vector<std::pair<int, std::string>> template_sources(const std::string& output) {
  std::vector<std::pair<int, std::string>> out;
  std::stringstream in(output);
  int line = 0;
  for (std::string text; std::getline(in, text);) {
    ++line;
    if (text.rfind("# Source: ", 0) == 0) out.emplace_back(line, text.substr(10));
  }
  return out;
}

// "mychart/templates/a.yaml" (helm names the chart first) as a path of the artifact.
std::string template_file(const std::string& chart_folder, const std::string& source) {
  const auto slash = source.find('/');
  return slash == std::string::npos ? join(chart_folder, source) : join(chart_folder, source.substr(slash + 1));
}

}  // namespace

const SettingsSchema<HelmSettings>& helm_schema() {
  using H = HelmSettings;
  static const auto schema =
      SettingsSchema<H>()
          .key(ConfigKey("helmPath", ConfigType::path, "The helm binary; empty finds `helm` on the PATH.").default_to(""),
               &H::helm_path)
          .key(ConfigKey("chart", ConfigType::string,
                         "Folder of the chart, relative to the source's root; empty = the rendered folder.")
                   .default_to(""),
               &H::chart, inside_source)
          .key(ConfigKey("releaseName", ConfigType::string, "Release name; empty = the chart folder's name.").default_to(""),
               &H::release_name)
          .key(ConfigKey("namespace", ConfigType::string, "Namespace of the release (--namespace).").default_to("default"),
               &H::namespace_name)
          .key(ConfigKey("valuesFiles", ConfigType::string_list,
                         "Values files relative to the source's root, applied in order; they must stay inside the source.")
                   .default_to(Array{}),
               &H::values_files, all_inside_source)
          .key(ConfigKey("values", ConfigType::any, "Inline values, applied after the values files."), &H::values, mapping)
          .key(ConfigKey("includeCRDs", ConfigType::boolean, "Render the chart's crds/ folder too (--include-crds).")
                   .default_to(true),
               &H::include_crds)
          .key(ConfigKey("skipTests", ConfigType::boolean, "Leave out test hooks (--skip-tests).").default_to(true),
               &H::skip_tests)
          .key(ConfigKey("kubeVersion", ConfigType::string,
                         "Kubernetes version for .Capabilities when the sink does not know the cluster's (--kube-version).")
                   .default_to(""),
               &H::kube_version)
          .key(ConfigKey("apiVersions", ConfigType::string_list, "Extra API versions for .Capabilities (--api-versions).")
                   .default_to(Array{}),
               &H::api_versions)
          .part(&H::limits, tool_limits_schema())
          .part(&H::dependencies, dependency_schema());
  return schema;
}

Result<std::string> helm_version(const std::string& configured_path) {
  return describe_tool("helm", configured_path, "helmPath", {"version", "--short"});
}

void merge_into(Value& base, const Value& overlay) {
  if (!base.is_object() || !overlay.is_object()) {
    base = overlay;
    return;
  }
  for (const auto& [key, value] : overlay.as_object()) {
    Value* existing = base.as_object().find(key);
    if (existing && existing->is_object() && value.is_object()) merge_into(*existing, value);
    else base.as_object().set(key, value);
  }
}

bool is_chart(const Artifact& artifact, const std::string& folder) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(artifact.root / join(folder, "Chart.yaml"), ec));
}

void render_chart(Context& context, const Artifact& artifact, const std::string& chart_folder, const HelmSettings& settings,
                  RenderResult& out) {
  const std::string chart_file = join(chart_folder, "Chart.yaml");
  auto error = [&](std::string message, const std::string& file) {
    out.diagnostics.push_back({Severity::error, std::move(message), file, 0, {}});
  };
  auto chart_dir = resolve_inside(artifact.root, chart_folder.empty() ? "." : chart_folder);
  if (!chart_dir.ok()) return error("chart: " + chart_dir.error().message, chart_folder);
  if (!is_chart(artifact, chart_folder)) return error("no Chart.yaml here: not a Helm chart", chart_folder);
  out.read_folders.push_back(chart_folder);
  for (const auto& file : settings.values_files) out.read_folders.push_back(parent_folder(file));
  // helm reads every file of the chart (.Files, subcharts in charts/): a link
  // out of the artifact anywhere in it is refused before helm runs.
  if (!check_tool_input(artifact, chart_folder, settings.limits.max_file_size, "helm", out.diagnostics)) return;
  auto tool = find_tool("helm", settings.helm_path, "helmPath");
  if (!tool.ok()) return error(tool.error().message, chart_file);
  ScratchDir home;
  if (home.path().empty()) return error("cannot create a temporary folder for helm", chart_file);
  const auto chart = chart_with_dependencies(context, artifact, chart_folder, *tool, settings.limits, settings.dependencies, home, out);
  if (!chart) return;
  std::vector<std::string> args{"template", settings.release_name.empty() ? fs::path(*chart_dir).filename().string()
                                                                          : settings.release_name,
                                chart->string(), "--namespace", settings.namespace_name};
  for (const auto& file : settings.values_files) {
    auto resolved = resolve_inside(artifact.root, file);
    if (!resolved.ok()) return error("valuesFiles: " + resolved.error().message, file);
    if (!fs::is_regular_file(*resolved)) return error("valuesFiles: '" + file + "' is not a file", file);
    if (fs::file_size(*resolved) > settings.limits.max_file_size)
      return error("valuesFiles: '" + file + "' is " + std::to_string(fs::file_size(*resolved)) +
                       " bytes, over the limit of " + std::to_string(settings.limits.max_file_size) + " bytes (maxFileSize)",
                   file);
    args.insert(args.end(), {"--values", resolved->string()});
  }
  if (!settings.values.is_null()) {
    const fs::path inline_values = home.path() / "inline-values.json";  // JSON is YAML to helm
    std::ofstream(inline_values) << to_json(settings.values);
    args.insert(args.end(), {"--values", inline_values.string()});
  }
  if (settings.include_crds) args.push_back("--include-crds");
  if (settings.skip_tests) args.push_back("--skip-tests");
  const ClusterInfo* cluster = context.cluster_info();
  const std::string kube_version = cluster && !cluster->version.empty() ? cluster->version : settings.kube_version;
  if (!kube_version.empty()) args.insert(args.end(), {"--kube-version", kube_version});
  std::vector<std::string> api_versions = settings.api_versions;
  if (cluster) api_versions.insert(api_versions.end(), cluster->api_versions.begin(), cluster->api_versions.end());
  for (const auto& api : api_versions) args.insert(args.end(), {"--api-versions", api});

  ToolRun run{*tool, args, chart_folder, chart_file, settings.limits, false, {}};
  auto output = run_tool(context, artifact, home, run, out);
  if (!output) return;
  RenderResult rendered = parse_manifests(*output, chart_file);
  const auto sources = template_sources(*output);
  // A line of helm's output would mislead: name the template instead.
  auto template_at = [&](int output_line) {
    std::string file = chart_file;
    for (const auto& [line, source] : sources)
      if (line < output_line) file = template_file(chart_folder, source);
    return file;
  };
  for (auto& d : rendered.diagnostics) {
    d.file = template_at(d.line);
    d.line = 0;
    out.diagnostics.push_back(std::move(d));
  }
  for (auto& object : rendered.objects) {
    object.origin.file = template_at(object.origin.line);
    object.origin.line = 0;
  }
  mark_hooks(rendered.objects, out.diagnostics);
  KindScopes scopes(cluster);
  scopes.learn_crds(out.objects);  // CRDs of earlier stages say their kinds' scope too
  scopes.learn_crds(rendered.objects);
  place_in_namespace(rendered.objects, settings.namespace_name, scopes, out.diagnostics);
  for (auto& object : rendered.objects) out.objects.push_back(std::move(object));
}

}  // namespace driftless::renderers
