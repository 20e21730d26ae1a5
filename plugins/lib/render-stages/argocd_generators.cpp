#include "argocd_generators.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "argocd_tools.hpp"
#include "go_template.hpp"
#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "helm_stage.hpp"
#include "path_patterns.hpp"
#include "repository_url.hpp"

namespace driftless::renderers {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxEntries = 100000;  // files and folders the git generator looks at
constexpr std::size_t kMaxSets = 1000;       // parameter sets one generator may make (an Application each)
constexpr std::uintmax_t kMaxParameterFile = 1 << 20;
constexpr int kMaxDepth = 2;  // a matrix or merge inside a matrix or merge, as deep as Argo CD goes

constexpr const char* kInClusterServer = "https://kubernetes.default.svc";

// The parameters of one cluster, as Argo CD's clusters generator makes them.
Parameters cluster_parameters(const ArgocdCluster& cluster) {
  Parameters parameters;
  Object& nested = parameters.nested.as_object();
  for (const auto& [name, value] : {std::pair<std::string, std::string>{"name", cluster.name},
                                    {"nameNormalized", sanitized_name(cluster.name)},
                                    {"server", cluster.server},
                                    {"project", cluster.project}}) {
    nested.set(name, value);
    parameters.flat[name] = value;
  }
  Object metadata;
  for (const auto& [part, entries] : {std::pair<std::string, const std::map<std::string, std::string>*>{"labels", &cluster.labels},
                                      {"annotations", &cluster.annotations}}) {
    if (entries->empty()) continue;
    Object map;
    for (const auto& [key, value] : *entries) {
      map.set(key, value);
      parameters.flat["metadata." + part + "." + key] = value;
    }
    metadata.set(part, Value(std::move(map)));
  }
  nested.set("metadata", Value(std::move(metadata)));
  return parameters;
}

// The git generators' path parameters of `folder` (and `file`, for the files
// generator), under `prefix` (pathParamPrefix) when given.
void path_parameters(const std::string& folder, const std::string& file, const std::string& prefix, Parameters& into) {
  std::vector<std::string> segments;
  for (std::size_t start = 0; start <= folder.size() && !folder.empty();) {
    const auto slash = folder.find('/', start);
    segments.push_back(folder.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const std::string basename = segments.empty() ? "" : segments.back();
  const std::string name = prefix.empty() ? "path" : prefix + ".path";
  Object path;
  path.set("path", folder);
  path.set("basename", basename);
  path.set("basenameNormalized", sanitized_name(basename));
  into.flat[name] = folder;
  into.flat[name + ".basename"] = basename;
  into.flat[name + ".basenameNormalized"] = sanitized_name(basename);
  if (!file.empty()) {
    path.set("filename", file);
    path.set("filenameNormalized", sanitized_name(file));
    into.flat[name + ".filename"] = file;
    into.flat[name + ".filenameNormalized"] = sanitized_name(file);
  }
  Array listed;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    into.flat[name + "[" + std::to_string(i) + "]"] = segments[i];
    listed.emplace_back(segments[i]);
  }
  path.set("segments", Value(std::move(listed)));
  if (prefix.empty()) {
    into.nested.as_object().set("path", Value(std::move(path)));
  } else {
    Object holder;
    holder.set("path", Value(std::move(path)));
    into.nested.as_object().set(prefix, Value(std::move(holder)));
  }
}

// Folders (or files) of the artifact, '/'-separated, never following a link,
// leaving out hidden ones as Argo CD does; nullopt when there are too many to look at.
std::optional<std::vector<std::string>> entries(const Artifact& artifact, bool folders) {
  std::vector<std::string> out;
  std::error_code ec;
  std::size_t seen = 0;
  for (auto it = fs::recursive_directory_iterator(artifact.root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (++seen > kMaxEntries) return std::nullopt;
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec)) continue;
    if (it->is_directory(ec) == folders) out.push_back(fs::relative(it->path(), artifact.root).generic_string());
  }
  return out;
}

// Go template parameters flattened as Argo CD does for a selector: "a.b", lists by index ("a.0").
void flatten_for_selector(const Value& value, const std::string& prefix, std::map<std::string, std::string>& out) {
  const auto name = [&](const std::string& key) { return prefix.empty() ? key : prefix + "." + key; };
  if (value.is_object()) {
    for (const auto& [key, member] : value.as_object()) flatten_for_selector(member, name(key), out);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.as_array().size(); ++i)
      flatten_for_selector(value.as_array()[i], name(std::to_string(i)), out);
  } else {
    out[prefix] = text_of(value);
  }
}

// One requirement of a label selector over parameters.
struct Requirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::set<std::string> values;

  bool matches(const std::map<std::string, std::string>& parameters) const {
    auto it = parameters.find(key);
    if (op == "Exists") return it != parameters.end();
    if (op == "DoesNotExist") return it == parameters.end();
    const bool in = it != parameters.end() && values.count(it->second);
    return op == "In" ? in : !in;
  }
};

// The requirements of a Kubernetes label selector (matchLabels, matchExpressions)
// named `at`; nullopt after an error, reported to `fields`.
std::optional<std::vector<Requirement>> requirements_of(ObjectFields& fields, const Value& selector, const std::string& at) {
  fields.warn_unknown(&selector, at, {"matchLabels", "matchExpressions"}, kArgocdDocs);
  std::vector<Requirement> requirements;
  if (const Value* labels = fields.object_at(&selector, "matchLabels", at + ".matchLabels"))
    for (const auto& [key, value] : labels->as_object()) requirements.push_back({key, "In", {text_of(value)}});
  bool ok = true;
  for (const auto& expression : fields.array_at(&selector, "matchExpressions", at + ".matchExpressions")) {
    const std::string field = at + ".matchExpressions";
    Requirement requirement{fields.string_at(&expression, "key", field + "[].key"),
                            fields.string_at(&expression, "operator", field + "[].operator"), {}};
    for (const auto& value : fields.array_at(&expression, "values", field + "[].values")) requirement.values.insert(text_of(value));
    const bool takes_values = requirement.op == "In" || requirement.op == "NotIn";
    if (requirement.key.empty() || (!takes_values && requirement.op != "Exists" && requirement.op != "DoesNotExist")) {
      fields.error(field, "each needs a key and an operator of In, NotIn, Exists and DoesNotExist");
      ok = false;
    } else if (takes_values == requirement.values.empty()) {
      fields.error(field, "'" + requirement.key + "': " + requirement.op + (takes_values ? " needs values" : " takes no values"));
      ok = false;
    }
    requirements.push_back(std::move(requirement));
  }
  if (!ok) return std::nullopt;
  return requirements;
}

bool all_match(const std::vector<Requirement>& requirements, const std::map<std::string, std::string>& labels) {
  return std::all_of(requirements.begin(), requirements.end(), [&](const Requirement& r) { return r.matches(labels); });
}

}  // namespace

std::vector<Parameters> Generators::run(const Value& generator, const std::string& at, int depth) {
  if (!generator.is_object()) {
    fields_.error(at, "must be a mapping naming one generator");
    return {};
  }
  std::string type;
  const Value* spec = nullptr;
  for (const auto& [key, value] : generator.as_object()) {
    if (key == "selector") continue;
    if (spec) {
      fields_.error(at, "names two generators ('" + type + "' and '" + key + "'); name one, or combine them with matrix or merge");
      return {};
    }
    type = key;
    spec = &value;
  }
  if (!spec) {
    fields_.error(at, "names no generator");
    return {};
  }
  const std::string here = at + "." + type;
  std::vector<Parameters> out;
  if (type == "list") {
    out = list(*spec, here);
  } else if (type == "git") {
    out = git(*spec, here);
  } else if (type == "clusters") {
    out = clusters(*spec, here);
  } else if (type == "matrix" || type == "merge") {
    if (depth >= kMaxDepth) {
      fields_.error(here, "nests matrix and merge generators more than " + std::to_string(kMaxDepth) + " deep");
      return {};
    }
    out = type == "matrix" ? matrix(*spec, here, depth) : merge(*spec, here, depth);
  } else {
    fields_.error(at, "the " + type + " generator is not supported yet; list, git, clusters, matrix and merge are (" +
                          std::string(kArgocdDocs) + ")");
    return {};
  }
  if (const Value* selector = generator.find("selector")) out = select(std::move(out), *selector, at + ".selector");
  if (const Value* templ = spec->is_object() ? spec->find("template") : nullptr; templ && !templ->is_null()) {
    if (depth > 0) {
      fields_.warn(here + ".template", "is ignored: Argo CD takes no template from a generator inside a matrix or merge");
    } else if (!templ->is_object()) {
      fields_.error(here + ".template", "must be a mapping (an Application template)");
    } else {
      for (auto& parameters : out) parameters.templ = *templ;
    }
  }
  return out;
}

std::vector<Parameters> Generators::list(const Value& spec, const std::string& at) {
  fields_.warn_unknown(&spec, at, {"elements", "template"}, kArgocdDocs);
  std::vector<Parameters> out;
  for (const auto& element : fields_.array_at(&spec, "elements", at + ".elements")) {
    if (!element.is_object()) {
      fields_.error(at + ".elements", "each element must be a mapping of parameters");
      continue;
    }
    out.push_back(parameters_of(element));
  }
  return out;
}

std::vector<Parameters> Generators::git(const Value& spec, const std::string& at) {
  fields_.warn_unknown(&spec, at, {"repoURL", "revision", "directories", "files", "template", "pathParamPrefix", "values"},
                       kArgocdDocs);
  const std::string repo_url = fields_.string_at(&spec, "repoURL", at + ".repoURL");
  if (!own_repository(fields_, artifact_, repo_url, at + ".repoURL")) {
    fields_.error(at + ".repoURL", "'" + repo_url + "' is not the pipeline's own repository; the git generator reads the "
                                   "pipeline's own files only (" + std::string(kArgocdDocs) + ")");
    return {};
  }
  check_revision(fields_, artifact_, fields_.string_at(&spec, "revision", at + ".revision"), at + ".revision");
  const std::string prefix = fields_.string_at(&spec, "pathParamPrefix", at + ".pathParamPrefix");
  std::vector<PathPattern> included, excluded;
  const bool files = spec.find("files") != nullptr;
  if (files == (spec.find("directories") != nullptr)) {
    fields_.error(at, "needs one of directories and files");
    return {};
  }
  const std::string list_name = files ? "files" : "directories";
  for (const auto& entry : fields_.array_at(&spec, list_name, at + "." + list_name)) {
    const std::string glob = fields_.string_at(&entry, "path", at + "." + list_name + "[].path");
    auto pattern = PathPattern::parse("/" + glob);
    if (glob.empty() || !pattern) {
      fields_.error(at + "." + list_name, "each entry needs a path glob");
      continue;
    }
    (fields_.bool_at(&entry, "exclude", at + "." + list_name + "[].exclude") ? excluded : included).push_back(*pattern);
  }
  auto listed = listed_.find(files);
  if (listed == listed_.end()) listed = listed_.emplace(files, entries(artifact_, !files)).first;
  const auto& found = listed->second;
  if (!found) {
    fields_.error(at, "the repository holds more than " + std::to_string(kMaxEntries) + " files and folders to look at");
    return {};
  }
  std::vector<Parameters> out;
  for (const auto& path : *found) {
    auto matches = [&](const std::vector<PathPattern>& patterns) {
      for (const auto& p : patterns)
        if (p.matches(path, !files)) return true;
      return false;
    };
    if (!matches(included) || matches(excluded)) continue;
    if (files) {
      read_parameter_file(path, prefix, at, out);
    } else {
      Parameters parameters;
      path_parameters(path, "", prefix, parameters);
      out.push_back(std::move(parameters));
    }
  }
  add_values(spec, at, out);
  return out;
}

// Argo CD's cluster list is the config's (it never reads Argo CD's Secrets):
// the clusters whose labels match `selector`, and in-cluster when there is no
// selector and the list does not name it, as Argo CD adds its local cluster.
std::vector<Parameters> Generators::clusters(const Value& spec, const std::string& at) {
  fields_.warn_unknown(&spec, at, {"selector", "values", "template", "flatList"}, kArgocdDocs);
  if (fields_.bool_at(&spec, "flatList", at + ".flatList")) fields_.error(at + ".flatList", "is not supported yet");
  std::vector<Requirement> wanted;
  if (const Value* selector = spec.find("selector")) {
    auto parsed = requirements_of(fields_, *selector, at + ".selector");
    if (parsed) wanted = std::move(*parsed);
  }
  if (fields_.failed()) return {};
  std::vector<Parameters> out;
  bool in_cluster_listed = false;
  for (const auto& cluster : clusters_) {
    in_cluster_listed = in_cluster_listed || cluster.name == "in-cluster" || cluster.server == kInClusterServer;
    if (all_match(wanted, cluster.labels)) out.push_back(cluster_parameters(cluster));
  }
  if (wanted.empty() && !in_cluster_listed) out.push_back(cluster_parameters({"in-cluster", kInClusterServer, "", {}, {}}));
  add_values(spec, at, out);
  return out;
}

void Generators::add_values(const Value& spec, const std::string& at, std::vector<Parameters>& sets) {
  const Value* values = fields_.object_at(&spec, "values", at + ".values");
  if (!values) return;
  for (auto& parameters : sets) {
    Value filled = *values;
    if (!substitute_all(fields_, at + ".values", go_, true, parameters, filled)) return;
    for (const auto& [key, value] : filled.as_object()) parameters.flat["values." + key] = text_of(value);
    parameters.nested.as_object().set("values", std::move(filled));
  }
}

// A file of the files generator: one mapping of parameters, or a list of them.
void Generators::read_parameter_file(const std::string& path, const std::string& prefix, const std::string& at,
                                     std::vector<Parameters>& out) {
  auto inside = resolve_inside(artifact_.root, path);
  auto text = inside.ok() ? read_file_capped(*inside, kMaxParameterFile) : Result<std::string>(inside.error());
  if (!text.ok()) return fields_.error(at + ".files", "'" + path + "': " + text.error().message);
  auto parsed = parse_yaml(*text, path);
  if (has_errors(parsed.diagnostics) || parsed.documents.size() != 1)
    return fields_.error(at + ".files", "'" + path + "' is not one YAML or JSON document");
  const Value& document = parsed.documents[0].value;
  const auto slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash);
  const std::string file = path.substr(slash == std::string::npos ? 0 : slash + 1);
  const Array items = document.is_array() ? document.as_array() : Array{document};
  for (const auto& item : items) {
    if (!item.is_object()) return fields_.error(at + ".files", "'" + path + "' must hold a mapping or a list of mappings");
    Parameters parameters = parameters_of(item);
    path_parameters(folder, file, prefix, parameters);
    out.push_back(std::move(parameters));
  }
}

const Array& Generators::children(const Value& spec, const std::string& at, std::size_t at_least) {
  const Array& generators = fields_.array_at(&spec, "generators", at + ".generators");
  if (generators.size() < at_least)
    fields_.error(at + ".generators", "has " + std::to_string(generators.size()) + " generators; it combines at least " +
                                          std::to_string(at_least));
  return generators;
}

// Every pair of the two generators' parameter sets; the second generator may
// name the first's parameters ({{.path.path}}/config.json). Where both name a
// parameter, Go template mode takes the first's value; fasttemplate mode
// refuses two different values, as Argo CD does.
std::vector<Parameters> Generators::matrix(const Value& spec, const std::string& at, int depth) {
  fields_.warn_unknown(&spec, at, {"generators", "template"}, kArgocdDocs);
  const Array& generators = children(spec, at, 2);
  if (generators.size() > 2)
    fields_.error(at + ".generators", "has " + std::to_string(generators.size()) + " generators; a matrix combines two");
  if (fields_.failed()) return {};
  std::vector<Parameters> out;
  for (const auto& first : run(generators[0], at + ".generators[0]", depth + 1)) {
    Value second = generators[1];
    if (!substitute_all(fields_, at + ".generators[1]", go_, false, first, second)) return {};
    for (auto& pair : run(second, at + ".generators[1]", depth + 1)) {
      for (const auto& [key, value] : first.flat) {
        auto [it, added] = pair.flat.emplace(key, value);
        if (!added && it->second != value && !go_) {
          fields_.error(at, "parameter '" + key + "' is '" + value + "' in the first generator and '" + it->second +
                                "' in the second; Argo CD refuses that too (or set goTemplate, where the first wins)");
          return {};
        }
        it->second = value;
      }
      merge_into(pair.nested, first.nested);
      out.push_back(std::move(pair));
      if (out.size() > kMaxSets) {
        fields_.error(at, "makes more than " + std::to_string(kMaxSets) + " parameter sets");
        return {};
      }
    }
    if (fields_.failed()) return {};
  }
  return out;
}

// The first generator's parameter sets, each overlaid by the set of every later
// generator that has the same values of mergeKeys; sets of no pair are kept as they are.
std::vector<Parameters> Generators::merge(const Value& spec, const std::string& at, int depth) {
  fields_.warn_unknown(&spec, at, {"generators", "mergeKeys", "template"}, kArgocdDocs);
  std::set<std::string> keys;  // sorted: the sets are keyed by their values in this order
  for (const auto& key : fields_.array_at(&spec, "mergeKeys", at + ".mergeKeys"))
    if (key.is_string()) keys.insert(key.as_string());
    else fields_.error(at + ".mergeKeys", "must be a list of parameter names");
  if (keys.empty() && !fields_.failed()) fields_.error(at + ".mergeKeys", "is required: the parameters that pair the sets");
  const Array& generators = children(spec, at, 2);
  if (fields_.failed()) return {};
  const auto key_of = [&](const Parameters& parameters) {
    Object values;
    for (const auto& key : keys) {
      if (go_) {
        const Value* value = parameters.nested.find(key);
        values.set(key, value ? *value : Value());
      } else {
        auto it = parameters.flat.find(key);
        values.set(key, it == parameters.flat.end() ? Value() : Value(it->second));
      }
    }
    return to_json(Value(std::move(values)));
  };
  std::vector<Parameters> base;
  std::map<std::string, std::size_t> base_by_key;
  for (std::size_t i = 0; i < generators.size(); ++i) {
    const std::string child = at + ".generators[" + std::to_string(i) + "]";
    auto sets = run(generators[i], child, depth + 1);
    if (fields_.failed()) return {};
    std::map<std::string, std::size_t> by_key;
    for (std::size_t s = 0; s < sets.size(); ++s)
      if (!by_key.emplace(key_of(sets[s]), s).second) {
        fields_.error(child, "makes two parameter sets with the merge keys " + key_of(sets[s]) +
                                 "; each must be unique (Argo CD refuses that too)");
        return {};
      }
    if (i == 0) {
      base = std::move(sets);
      base_by_key = std::move(by_key);
      continue;
    }
    for (const auto& [key, s] : by_key) {
      auto it = base_by_key.find(key);
      if (it == base_by_key.end()) continue;
      Parameters& into = base[it->second];
      for (const auto& [name, value] : sets[s].flat) into.flat[name] = value;
      merge_into(into.nested, sets[s].nested);
    }
  }
  return base;
}

// The sets a Kubernetes label selector (matchLabels, matchExpressions) keeps,
// matched against the parameters by their flat names.
std::vector<Parameters> Generators::select(std::vector<Parameters> all, const Value& selector, const std::string& at) {
  const auto requirements = requirements_of(fields_, selector, at);
  if (!requirements) return {};
  std::vector<Parameters> kept;
  for (auto& parameters : all) {
    std::map<std::string, std::string> view;
    if (go_) flatten_for_selector(parameters.nested, "", view);
    if (all_match(*requirements, go_ ? view : parameters.flat)) kept.push_back(std::move(parameters));
  }
  return kept;
}

}  // namespace driftless::renderers
