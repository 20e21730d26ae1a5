#include "flux_artifacts.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "flux_sources.hpp"

namespace driftless::renderers {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxFolderEntries = 20000;  // a folder rendered in place is walked once per render
constexpr std::size_t kMissingNamed = 3;

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string name_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string trim_slashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  return path;
}

bool has_glob(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

bool is_manifest(const std::string& path) {
  for (const char* suffix : {".yaml", ".yml", ".json"}) {
    const std::string_view s(suffix);
    if (path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

// The prefix `origin` has beyond `dest` ("apps" for apps/base at base), when `origin` ends with it.
std::optional<std::string> shift_between(const std::string& origin, const std::string& dest) {
  if (dest.empty()) return origin;
  if (origin == dest) return std::string();
  if (origin.size() > dest.size() && origin.compare(origin.size() - dest.size(), dest.size(), dest) == 0 &&
      origin[origin.size() - dest.size() - 1] == '/')
    return origin.substr(0, origin.size() - dest.size() - 1);
  return std::nullopt;
}

struct Alias {
  std::string id;  ///< "Kind/ns/name"
  bool own = false;
};

// The spec.sources of one generator, by alias.
std::map<std::string, Alias> aliases_of(const KubeObject& generator, const std::vector<KubeObject>& sources,
                                        const Artifact& artifact) {
  std::map<std::string, Alias> out;
  const Value* list = generator.body.at_path({"spec", "sources"});
  if (!list || !list->is_array()) return out;
  for (const auto& entry : list->as_array()) {
    if (!entry.is_object()) continue;
    const std::string kind = entry.string_or("kind");
    const std::string ns = entry.string_or("namespace", generator.namespace_name());
    const std::string name = entry.string_or("name");
    auto object = std::find_if(sources.begin(), sources.end(), [&](const KubeObject& s) {
      return s.kind() == kind && s.namespace_name() == ns && s.name() == name;
    });
    const bool own = kind == "GitRepository" &&
                     is_own_repository(ns, name, object != sources.end() ? object->body.find("spec") : nullptr, artifact);
    out[entry.string_or("alias")] = {kind + "/" + ns + "/" + name, own};
  }
  return out;
}

}  // namespace

ExternalArtifacts::ExternalArtifacts(const std::vector<KubeObject>& sources, const Artifact& artifact)
    : root_(artifact.root) {
  for (const auto& generator : sources) {
    if (generator.kind() != "ArtifactGenerator") continue;
    const auto aliases = aliases_of(generator, sources, artifact);
    const bool by_pattern = generator.body.at_path({"spec", "pathPattern"}) != nullptr;
    const Value* artifacts = generator.body.at_path({"spec", "artifacts"});
    if (!artifacts || !artifacts->is_array()) continue;
    for (const auto& entry : artifacts->as_array()) {
      if (!entry.is_object()) continue;
      View view{generator.id(), {}, {}, {}, {}};
      for (const auto& [name, alias] : aliases) view.inputs.push_back(alias.id);
      bool shift_known = false;
      auto refuse = [&](std::string why) {
        if (view.problem.empty()) view.problem = std::move(why);
      };
      if (by_pattern) refuse("spec.pathPattern (one artifact per matched folder) is not supported");
      const Value* copies = entry.find("copy");
      for (const auto& copy : copies && copies->is_array() ? copies->as_array() : Array{}) {
        const std::string from = copy.string_or("from");
        const std::string to = copy.string_or("to");
        const std::string where = "copy from '" + from + "' to '" + to + "'";
        const std::string strategy = copy.string_or("strategy", "Overwrite");
        if (strategy != "Overwrite") refuse(where + ": strategy " + strategy + " is not supported (only Overwrite)");
        if (from.empty() || from[0] != '@' || to.rfind("@artifact", 0) != 0 ||
            (to.size() > 9 && to[9] != '/')) {
          refuse(where + ": from must be @<alias>/<path> and to @artifact/<path>");
          continue;
        }
        const auto slash = from.find('/');
        const auto alias = aliases.find(from.substr(1, slash == std::string::npos ? std::string::npos : slash - 1));
        if (alias == aliases.end()) {
          refuse(where + ": the alias is not among spec.sources");
          continue;
        }
        if (!alias->second.own) {
          refuse(where + ": @" + alias->first + " is " + alias->second.id + ", not the repository this pipeline reads; "
                 "driftless generates artifacts from the pipeline's own repository only");
          continue;
        }
        const std::string rest = slash == std::string::npos ? "" : from.substr(slash + 1);
        const bool to_folder = to.size() <= 10 || to.back() == '/';
        const std::string dest = trim_slashes(to.substr(std::min<std::size_t>(to.size(), 10)));
        if (("/" + rest + "/").find("/../") != std::string::npos || ("/" + dest + "/").find("/../") != std::string::npos) {
          refuse(where + ": leaves the repository or the artifact");
          continue;
        }
        Copy c;
        std::string dest_dir = dest;
        const std::string last = name_of(trim_slashes(rest));
        std::error_code ec;
        if (rest.empty() || rest == "**" || (rest.size() > 3 && rest.compare(rest.size() - 3, 3, "/**") == 0)) {
          c.origin_dir = trim_slashes(rest.substr(0, rest.size() - std::min<std::size_t>(rest.size(), 2)));
        } else if (rest.back() == '/' || fs::is_directory(root_ / trim_slashes(rest), ec)) {
          c.origin_dir = trim_slashes(rest);  // cp -r dir dest/: the folder itself goes inside dest
          dest_dir = join(dest, last);
        } else if (has_glob(parent_of(rest))) {
          refuse(where + ": a pattern before the last path segment is not supported");
          continue;
        } else {
          c.origin_dir = parent_of(rest);
          c.name_glob = last;
          if (!to_folder && !has_glob(last)) {
            if (name_of(dest) != last) {
              refuse(where + ": renames the file; driftless renders the repository's files under their own names");
              continue;
            }
            dest_dir = parent_of(dest);
          }
        }
        const auto shift = shift_between(c.origin_dir, dest_dir);
        if (!shift || (shift_known && *shift != view.shift)) {
          refuse(where + ": puts '" + (c.origin_dir.empty() ? "." : c.origin_dir) + "' at '" +
                 (dest_dir.empty() ? "." : dest_dir) + "' of the artifact, which moves it relative to the other copied "
                 "folders; driftless renders the repository's folders in place, so every copy must strip the same "
                 "leading folders" + (shift_known ? " ('" + view.shift + "')" : std::string()));
          continue;
        }
        view.shift = *shift;
        shift_known = true;
        const Value* excludes = copy.find("exclude");
        for (const auto& pattern : excludes && excludes->is_array() ? excludes->as_array() : Array{}) {
          if (!pattern.is_string()) continue;
          // Flux matches an exclude against the path below the alias and below from's folder.
          for (const std::string& base : {std::string(), c.origin_dir})
            if (auto parsed = PathPattern::parse(pattern.as_string(), base)) c.excludes.push_back(std::move(*parsed));
        }
        view.copies.push_back(std::move(c));
      }
      if (view.copies.empty()) refuse("copies nothing");
      views_["ExternalArtifact/" + generator.namespace_name() + "/" + entry.string_or("name")] = std::move(view);
    }
  }
}

std::vector<std::string> ExternalArtifacts::made_from(const std::string& id) const {
  auto it = views_.find(id);
  if (it == views_.end()) return {};
  std::vector<std::string> out = it->second.inputs;
  out.push_back(it->second.generator);
  return out;
}

bool ExternalArtifacts::covered(const View& view, const std::string& file) const {
  for (const auto& c : view.copies) {
    if (!c.origin_dir.empty() && file.rfind(c.origin_dir + "/", 0) != 0) continue;
    const std::string rest = c.origin_dir.empty() ? file : file.substr(c.origin_dir.size() + 1);
    if (!c.name_glob.empty() && (rest.find('/') != std::string::npos || fnmatch(c.name_glob.c_str(), rest.c_str(), 0) != 0))
      continue;
    if (!any_matches(c.excludes, file)) return true;
  }
  return false;
}

Result<std::string> ExternalArtifacts::folder(const std::string& id, const std::string& path) const {
  auto it = views_.find(id);
  if (it == views_.end())
    return fail(ErrorCode::not_found, "no ArtifactGenerator of this render generates " + id +
                                          "; driftless reads an ExternalArtifact from an ArtifactGenerator beside the "
                                          "Kustomization, in the same folder");
  const View& view = it->second;
  if (!view.problem.empty())
    return fail(ErrorCode::invalid_input, id + " of " + view.generator + ": " + view.problem);
  const std::string folder = join(view.shift, path);
  std::error_code ec;
  if (!fs::is_directory(root_ / folder, ec))
    return fail(ErrorCode::not_found, "'" + path + "' is not a folder of " + id + " (the repository has no folder '" +
                                          folder + "')");
  std::vector<std::string> missing;
  std::size_t entries = 0;
  fs::recursive_directory_iterator walk(root_ / folder, fs::directory_options::none, ec);
  for (; !ec && walk != fs::recursive_directory_iterator(); walk.increment(ec)) {
    if (++entries > kMaxFolderEntries)
      return fail(ErrorCode::invalid_input, "the folder '" + folder + "' holds more than " +
                                                std::to_string(kMaxFolderEntries) + " entries");
    if (walk->is_directory(ec) && !walk->is_symlink(ec)) continue;
    const std::string file = join(folder, fs::relative(walk->path(), root_ / folder, ec).generic_string());
    if (is_manifest(file) && !covered(view, file)) missing.push_back(file);
  }
  if (ec) return fail(ErrorCode::internal, "cannot read the folder '" + folder + "': " + ec.message());
  if (missing.empty()) return folder;
  std::sort(missing.begin(), missing.end());
  std::string named;
  for (std::size_t i = 0; i < std::min(missing.size(), kMissingNamed); ++i) named += (i ? ", " : "") + missing[i];
  if (missing.size() > kMissingNamed) named += " and " + std::to_string(missing.size() - kMissingNamed) + " more";
  return fail(ErrorCode::invalid_input, id + " of " + view.generator + " leaves out " + named + ", which driftless would "
                                        "render: it renders the repository folder '" + folder + "' in place. Copy "
                                        "them into the artifact too, or move them out of that folder");
}

}  // namespace driftless::renderers
