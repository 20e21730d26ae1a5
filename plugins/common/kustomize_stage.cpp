#include "kustomize_stage.hpp"

#include <deque>

#include "driftless/files.hpp"
#include "driftless/manifests.hpp"
#include "driftless/yaml.hpp"

namespace fs = std::filesystem;

namespace driftless::renderers {
namespace {

constexpr const char* kRemoteHint = " (remote bases are refused; set allowRemoteBases: true to allow them)";


// Entries that may name another kustomization or a remote: kustomize tries a
// local path first and, when there is none, fetches the entry as a URL.
constexpr const char* kReferenceFields[] = {"resources", "bases", "components"};

bool looks_remote(const std::string& entry) {
  return entry.find("://") != std::string::npos || entry.rfind("git@", 0) == 0 || entry.find("?ref=") != std::string::npos ||
         entry.find("//") != std::string::npos || entry.rfind("github.com/", 0) == 0 || entry.rfind("gitlab.com/", 0) == 0;
}

// `relative` joined to `folder` and normalised, or nullopt when it leaves the
// artifact ("../../outside").
std::optional<std::string> inside_path(const std::string& folder, const std::string& relative) {
  if (fs::path(relative).is_absolute()) return std::nullopt;
  const fs::path joined = (fs::path(folder.empty() ? "." : folder) / relative).lexically_normal();
  std::string text = joined.generic_string();
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (text == ".") return std::string();
  if (text == ".." || text.rfind("../", 0) == 0) return std::nullopt;
  return text;
}

// What a build of one kustomization reads besides its own folder.
struct KustomizationInputs {
  std::set<std::string> bases;  ///< local folders reached
  bool remote = false;          ///< something kustomize fetches over the network
};

// Everything a build of `start` reads must stay inside the artifact: follows
// the local bases of every kustomization reached, refuses remote ones unless
// allowed, and refuses symlinks out of each kustomization folder.
KustomizationInputs check_kustomization_tree(const Artifact& artifact, const std::string& start,
                                             const KustomizeSettings& settings, std::vector<Diagnostic>& problems) {
  KustomizationInputs inputs;
  std::set<std::string> seen{start};
  std::deque<std::string> queue{start};
  while (!queue.empty()) {
    const std::string folder = queue.front();
    queue.pop_front();
    const std::string file = kustomization_file(artifact, folder);
    if (file.empty()) continue;  // a plain folder of resources
    check_tool_input(artifact, folder, settings.limits.max_file_size, "kustomize", problems);
    auto text = read_inside(artifact.root, file, settings.limits.max_file_size);
    if (!text.ok()) {
      problems.push_back({Severity::error, text.error().message, file, 0, {}});
      continue;
    }
    auto parsed = parse_yaml(*text, file);
    if (has_errors(parsed.diagnostics) || parsed.documents.empty()) continue;  // kustomize will say what is wrong
    const Value& kustomization = parsed.documents.front().value;
    for (const char* field : kReferenceFields) {
      const Value* entries = kustomization.find(field);
      if (!entries || !entries->is_array()) continue;
      for (const auto& entry : entries->as_array()) {
        if (!entry.is_string()) continue;
        const std::string& ref = entry.as_string();
        const std::string shown = without_url_credentials(ref);
        auto target = inside_path(folder, ref);
        const bool exists = target && fs::exists(fs::symlink_status(artifact.root / *target));
        if (!exists && (looks_remote(ref) || target)) {
          // Not in the artifact: kustomize would try to fetch it as a URL.
          inputs.remote = true;
          if (!settings.allow_remote_bases)
            problems.push_back({Severity::error,
                                "'" + shown + "' in " + field +
                                    (looks_remote(ref) ? " is a remote base" : " does not exist in the artifact") + kRemoteHint,
                                file, 0, {}});
          continue;
        }
        if (!target) {
          problems.push_back({Severity::error, "'" + shown + "' in " + field + " leaves the artifact; bases must live inside it",
                              file, 0, {}});
          continue;
        }
        auto inside = resolve_inside(artifact.root, target->empty() ? "." : *target);
        if (!inside.ok()) {
          problems.push_back({Severity::error, "'" + shown + "' in " + field + ": " + inside.error().message, file, 0, {}});
          continue;
        }
        if (fs::is_directory(*inside) && seen.insert(*target).second) {
          inputs.bases.insert(*target);
          queue.push_back(*target);
        }
      }
    }
  }
  return inputs;
}

// Kustomization folders below `path`, not looking inside one once found.
std::vector<std::string> kustomization_folders(const Artifact& artifact, const std::string& path, std::vector<Diagnostic>& problems) {
  std::vector<std::string> found;
  if (!kustomization_file(artifact, path).empty()) return {path};
  FileFilter filter;
  filter.enter = [&](const std::string& folder) {
    if (kustomization_file(artifact, folder).empty()) return true;
    found.push_back(folder);
    return false;
  };
  filter.keep = [](const std::string&) { return false; };
  walk_files(artifact.root, path, filter, problems);
  return found;
}

}  // namespace

std::vector<ConfigKey> kustomize_keys() {
  std::vector<ConfigKey> keys{
      ConfigKey("kustomizePath", ConfigType::path, "The kustomize binary; empty finds `kustomize` on the PATH.").default_to(""),
      ConfigKey("build", ConfigType::string,
                "What to build: `path` (the pipeline's folder) or `each` (every kustomization folder below it that no "
                "other one uses as a base).")
          .default_to("path")
          .one_of({"path", "each"}),
      ConfigKey("allowRemoteBases", ConfigType::boolean,
                "Let kustomizations use remote bases (Git or HTTP URLs); when false they are refused and kustomize runs "
                "without network.")
          .default_to(false),
  };
  for (auto& key : tool_limit_keys()) keys.push_back(std::move(key));
  return keys;
}

Result<KustomizeSettings> kustomize_settings(const Value& config) {
  KustomizeSettings settings;
  settings.kustomize_path = config.string_or("kustomizePath");
  settings.build_each = config.string_or("build", "path") == "each";
  const Value* remote = config.find("allowRemoteBases");
  settings.allow_remote_bases = remote && remote->is_bool() && remote->as_bool();
  auto limits = tool_limits(config);
  if (!limits.ok()) return limits.error();
  settings.limits = *limits;
  return settings;
}

Result<std::string> kustomize_version(const std::string& configured_path) {
  return describe_tool("kustomize", configured_path, "kustomizePath", {"version"});
}

std::string kustomization_file(const Artifact& artifact, const std::string& folder) {
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    std::error_code ec;
    const std::string file = join(folder, name);
    if (fs::exists(fs::symlink_status(artifact.root / file, ec))) return file;
  }
  return {};
}

void build_kustomization(Context& context, const Artifact& artifact, const std::string& folder,
                         const KustomizeSettings& settings, RenderResult& out) {
  std::string file = kustomization_file(artifact, folder);
  if (file.empty()) {
    out.diagnostics.push_back({Severity::error, "no kustomization.yaml here to build", folder, 0, {}});
    return;
  }
  std::vector<Diagnostic> problems;
  const KustomizationInputs inputs = check_kustomization_tree(artifact, folder, settings, problems);
  out.read_folders.push_back(folder);
  out.read_folders.insert(out.read_folders.end(), inputs.bases.begin(), inputs.bases.end());
  if (inputs.remote) out.cacheable = false;  // a remote base can change while the artifact does not
  if (has_errors(problems)) {
    for (auto& d : problems) out.diagnostics.push_back(std::move(d));
    return;
  }
  auto tool = find_tool("kustomize", settings.kustomize_path, "kustomizePath");
  if (!tool.ok()) {
    out.diagnostics.push_back({Severity::error, tool.error().message, file, 0, {}});
    return;
  }
  ScratchDir home;
  // The default load restrictor (LoadRestrictionsRootOnly) stays on: files a
  // kustomization reads must be below its own folder; bases were checked above.
  ToolRun run{*tool, {"build", "."}, folder, file, settings.limits, settings.allow_remote_bases, {}};
  auto output = run_tool(context, artifact, home, run, out);
  if (!output) return;
  RenderResult built = parse_manifests(*output, file);
  for (auto& d : built.diagnostics) out.diagnostics.push_back(std::move(d));
  for (auto& object : built.objects) {
    object.origin.line = 0;  // a line of kustomize's output would mislead
    out.objects.push_back(std::move(object));
  }
}

void render_kustomize(Context& context, const Artifact& artifact, const std::string& path, const KustomizeSettings& settings,
                      RenderResult& out) {
  if (!settings.build_each) {
    build_kustomization(context, artifact, path, settings, out);
    return;
  }
  const auto folders = kustomization_folders(artifact, path, out.diagnostics);
  if (folders.empty())
    out.diagnostics.push_back({Severity::warning, "no kustomization.yaml below this folder; nothing was built", path, 0, {}});
  build_kustomizations(context, artifact, folders, settings, out);
}

void build_kustomizations(Context& context, const Artifact& artifact, const std::vector<std::string>& folders,
                          const KustomizeSettings& settings, RenderResult& out) {
  std::vector<Diagnostic> problems;
  std::set<std::string> used_as_base;
  for (const auto& folder : folders)
    for (const auto& base : check_kustomization_tree(artifact, folder, settings, problems).bases) used_as_base.insert(base);
  if (has_errors(problems)) {
    for (auto& d : problems) out.diagnostics.push_back(std::move(d));
    return;
  }
  for (const auto& folder : folders)
    if (!used_as_base.count(folder)) build_kustomization(context, artifact, folder, settings, out);
}

}  // namespace driftless::renderers
