#include "kustomize_stage.hpp"

#include <algorithm>
#include <deque>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "hooks.hpp"

namespace fs = std::filesystem;

namespace driftless::renderers {
namespace {

constexpr const char* kRemoteHint = " (remote bases are refused; set allowRemoteBases: true to allow them)";


// Entries that may name another kustomization, a file or a remote: kustomize
// tries a local path first and, when there is none, fetches the entry as a URL.
constexpr const char* kReferenceFields[] = {"resources", "bases", "components", "generators", "transformers", "validators"};

// Where else kustomize reads a file or folder a kustomization names: a
// top-level field and, in each of its entries, the key holding the path
// ("" = the entry itself). Taken from kustomize's api/types.
struct FileField {
  const char* field;
  const char* key;
};
constexpr FileField kFileFields[] = {
    {"patchesStrategicMerge", ""}, {"patches", "path"}, {"patchesJson6902", "path"}, {"replacements", "path"},
    {"crds", ""}, {"configurations", ""}, {"openapi", "path"},
    {"configMapGenerator", "files"}, {"configMapGenerator", "envs"}, {"configMapGenerator", "env"},
    {"secretGenerator", "files"}, {"secretGenerator", "envs"}, {"secretGenerator", "env"},
    {"helmGlobals", "chartHome"}, {"helmGlobals", "configHome"}, {"helmCharts", "valuesFile"},
    {"helmCharts", "additionalValuesFiles"}, {"helmChartInflationGenerator", "chartHome"},
    {"helmChartInflationGenerator", "helmHome"}, {"helmChartInflationGenerator", "values"},
};

// Every field of kustomize's Kustomization type. One driftless does not know
// could read a file it never checked, so it is refused (kustomize refuses
// unknown fields too; this catches fields of a newer kustomize).
constexpr const char* kKnownFields[] = {
    "apiVersion", "kind", "metadata", "openapi", "namePrefix", "nameSuffix", "namespace", "commonLabels", "labels",
    "commonAnnotations", "patchesStrategicMerge", "patchesJson6902", "patches", "images", "imageTags", "replacements",
    "replicas", "vars", "sortOptions", "resources", "components", "crds", "bases", "configMapGenerator",
    "secretGenerator", "helmGlobals", "helmCharts", "helmChartInflationGenerator", "generatorOptions", "configurations",
    "generators", "transformers", "validators", "buildMetadata",
};

bool looks_remote(const std::string& entry) {
  return entry.find("://") != std::string::npos || entry.rfind("git@", 0) == 0 || entry.find("?ref=") != std::string::npos ||
         entry.find("//") != std::string::npos || entry.rfind("github.com/", 0) == 0 || entry.rfind("gitlab.com/", 0) == 0;
}

// A multi-line entry is inline YAML (a patch, a transformer config), not a path.
bool is_inline(const std::string& entry) { return entry.find('\n') != std::string::npos; }


// The paths a FileField names in one kustomization.
std::vector<std::string> paths_in(const Value& kustomization, const FileField& field) {
  std::vector<std::string> out;
  const Value* value = kustomization.find(field.field);
  if (!value) return out;
  auto add = [&](const Value& path) {
    if (!path.is_string() || is_inline(path.as_string())) return;
    const std::string& text = path.as_string();
    const bool keyed = std::string_view(field.key) == "files";  // "key=path" or "path"
    out.push_back(keyed && text.find('=') != std::string::npos ? text.substr(text.find('=') + 1) : text);
  };
  auto add_entry = [&](const Value& entry) {
    const Value* path = *field.key ? entry.find(field.key) : &entry;
    if (!path) return;
    if (path->is_array()) {
      for (const auto& item : path->as_array()) add(item);
    } else {
      add(*path);
    }
  };
  if (value->is_array()) {
    for (const auto& entry : value->as_array()) add_entry(entry);
  } else if (value->is_object()) {
    add_entry(*value);
  }
  return out;
}

// What a build of one kustomization reads.
struct KustomizationInputs {
  std::set<std::string> bases;  ///< local folders reached besides the start
  std::set<std::string> reads;  ///< every local folder and file it reads, the start included
  bool remote = false;          ///< something kustomize fetches over the network
};

// Everything a build of `start` reads must stay inside the artifact: checks
// every field that names a file, follows the local bases of every
// kustomization reached, refuses remote ones unless allowed, and refuses
// symlinks out of each kustomization folder.
KustomizationInputs check_kustomization_tree(const Artifact& artifact, const std::string& start,
                                             const KustomizeSettings& settings, std::vector<Diagnostic>& problems) {
  KustomizationInputs inputs;
  inputs.reads.insert(start);
  std::set<std::string> seen{start};
  std::deque<std::string> queue{start};
  while (!queue.empty()) {
    const std::string folder = queue.front();
    queue.pop_front();
    const std::string file = kustomization_file(artifact, folder);
    if (file.empty()) continue;  // a plain folder of resources
    auto problem = [&](std::string message) { problems.push_back({Severity::error, std::move(message), file, 0, {}}); };
    check_tool_input(artifact, folder, settings.limits.max_file_size, "kustomize", problems);
    auto text = read_inside(artifact.root, file, settings.limits.max_file_size);
    if (!text.ok()) {
      problem(text.error().message);
      continue;
    }
    auto parsed = parse_yaml(*text, file);
    if (has_errors(parsed.diagnostics) || parsed.documents.empty()) continue;  // kustomize will say what is wrong
    const Value& kustomization = parsed.documents.front().value;
    if (kustomization.is_object())
      for (const auto& [key, value] : kustomization.as_object())
        if (std::find(std::begin(kKnownFields), std::end(kKnownFields), key) == std::end(kKnownFields))
          problem("'" + key + "' is not a kustomization field driftless knows, so it cannot tell which files it reads");
    for (const auto& field : kFileFields) {
      const std::string name = std::string(field.field) + (*field.key ? std::string(".") + field.key : "");
      for (const auto& path : paths_in(kustomization, field)) {
        auto target = join_inside(folder, path);
        if (!target) {
          problem("'" + path + "' in " + name + " leaves the artifact; kustomize may read only files inside it");
          continue;
        }
        if (!fs::exists(fs::symlink_status(artifact.root / *target))) continue;  // kustomize will say it is missing
        if (auto inside = resolve_inside(artifact.root, *target); !inside.ok())
          problem("'" + path + "' in " + name + ": " + inside.error().message);
        else
          inputs.reads.insert(*target);
      }
    }
    for (const char* field : kReferenceFields) {
      const Value* entries = kustomization.find(field);
      if (!entries || !entries->is_array()) continue;
      for (const auto& entry : entries->as_array()) {
        if (!entry.is_string() || is_inline(entry.as_string())) continue;
        const std::string& ref = entry.as_string();
        const std::string shown = without_url_credentials(ref);
        auto target = join_inside(folder, ref);
        const bool exists = target && fs::exists(fs::symlink_status(artifact.root / *target));
        if (!exists && (looks_remote(ref) || target)) {
          // Not in the artifact: kustomize would try to fetch it as a URL.
          inputs.remote = true;
          if (!settings.allow_remote_bases)
            problem("'" + shown + "' in " + field +
                    (looks_remote(ref) ? " is a remote base" : " does not exist in the artifact") + kRemoteHint);
          continue;
        }
        if (!target) {
          problem("'" + shown + "' in " + field + " leaves the artifact; bases must live inside it");
          continue;
        }
        auto inside = resolve_inside(artifact.root, target->empty() ? "." : *target);
        if (!inside.ok()) {
          problem("'" + shown + "' in " + field + ": " + inside.error().message);
          continue;
        }
        inputs.reads.insert(*target);
        if (fs::is_directory(*inside) && seen.insert(*target).second) {
          inputs.bases.insert(*target);
          queue.push_back(*target);
        }
      }
    }
  }
  return inputs;
}

// Puts `relative` (a file or folder of the artifact, already checked) into the
// copy at `to`: files hard-linked where possible, a symlink kept only when it
// resolves inside the artifact (then pointing at its target there).
void copy_into(const Artifact& artifact, const std::string& relative, const fs::path& to) {
  auto place = [&](const std::string& path) {
    std::error_code ec;  // a file that cannot be placed is missing from the copy; kustomize says so
    auto source = resolve_inside(artifact.root, path.empty() ? "." : path);
    if (!source.ok()) return;  // a link out: left out of the copy
    const fs::path target = to / path;
    fs::create_directories(target.parent_path(), ec);
    if (fs::is_directory(*source, ec)) {
      if (fs::is_symlink(artifact.root / path, ec)) fs::create_directory_symlink(*source, target, ec);
      else fs::create_directories(target, ec);
    } else if (fs::is_regular_file(*source, ec)) {
      fs::create_hard_link(*source, target, ec);
      if (ec) fs::copy_file(*source, target, fs::copy_options::overwrite_existing, ec);
    }
  };
  place(relative);
  std::error_code ec;
  if (!fs::is_directory(artifact.root / relative, ec) || fs::is_symlink(artifact.root / relative, ec)) return;
  const fs::path base = artifact.root / relative;
  for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec)) it.disable_recursion_pending();
    place(join(relative, it->path().lexically_relative(base).generic_string()));  // not fs::relative: it follows links
  }
}

// A copy of what `inputs` says the build reads, and nothing else of the
// artifact or the host's disk around it: a path no check caught finds nothing.
Artifact copy_of_inputs(const Artifact& artifact, const KustomizationInputs& inputs, const fs::path& to) {
  Artifact copy;
  copy.root = to;
  std::set<std::string> copied;
  auto covered = [&](const std::string& path) {  // below something copied whole
    if (copied.count("")) return true;
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      if (copied.count(path.substr(0, slash))) return true;
    return copied.count(path) > 0;
  };
  for (const auto& path : inputs.reads) {
    if (covered(path)) continue;
    copy_into(artifact, path, to);
    copied.insert(path);
  }
  return copy;
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

const SettingsSchema<KustomizeSettings>& kustomize_schema() {
  using K = KustomizeSettings;
  static const auto schema =
      SettingsSchema<K>()
          .key(ConfigKey("kustomizePath", ConfigType::path, "The kustomize binary; empty finds `kustomize` on the PATH.")
                   .default_to(""),
               &K::kustomize_path)
          .choice(ConfigKey("build", ConfigType::string,
                            "What to build: `path` (the pipeline's folder) or `each` (every kustomization folder below it "
                            "that no other one uses as a base).")
                      .default_to("path"),
                  &K::build_each, {{"path", false}, {"each", true}})
          .key(ConfigKey("allowRemoteBases", ConfigType::boolean,
                         "Let kustomizations use remote bases (Git or HTTP URLs); when false they are refused and kustomize "
                         "runs without network.")
                   .default_to(false),
               &K::allow_remote_bases)
          .part(&K::limits, tool_limits_schema());
  return schema;
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
  if (home.path().empty()) {
    out.diagnostics.push_back({Severity::error, "cannot create a temporary folder for kustomize", file, 0, {}});
    return;
  }
  // kustomize builds a copy holding only what the checks above let it read.
  // The default load restrictor (LoadRestrictionsRootOnly) stays on: files a
  // kustomization reads must be below its own folder.
  const Artifact copy = copy_of_inputs(artifact, inputs, home.path() / "repository");
  ToolRun run{*tool, {"build", "."}, folder, file, settings.limits, settings.allow_remote_bases, {}};
  auto output = run_tool(context, copy, home, run, out);
  if (!output) return;
  RenderResult built = parse_manifests(*output, file);
  for (auto& d : built.diagnostics) out.diagnostics.push_back(std::move(d));
  for (auto& object : built.objects) object.origin.line = 0;  // a line of kustomize's output would mislead
  mark_hooks(built.objects, out.diagnostics);
  for (auto& object : built.objects) out.objects.push_back(std::move(object));
}

std::optional<Artifact> copy_kustomization_inputs(const Artifact& artifact, const std::vector<std::string>& folders,
                                                  const KustomizeSettings& settings, const fs::path& to, RenderResult& out) {
  std::vector<Diagnostic> problems;
  KustomizationInputs all;
  for (const auto& folder : folders) {
    KustomizationInputs inputs = check_kustomization_tree(artifact, folder, settings, problems);
    all.reads.insert(inputs.reads.begin(), inputs.reads.end());
    all.remote = all.remote || inputs.remote;
    out.read_folders.push_back(folder);
    out.read_folders.insert(out.read_folders.end(), inputs.bases.begin(), inputs.bases.end());
  }
  if (all.remote) out.cacheable = false;
  if (has_errors(problems)) {
    for (auto& d : problems) out.diagnostics.push_back(std::move(d));
    return std::nullopt;
  }
  return copy_of_inputs(artifact, all, to);
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
