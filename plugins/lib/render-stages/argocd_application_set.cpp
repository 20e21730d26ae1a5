#include "argocd_application_set.hpp"

#include <cctype>
#include <filesystem>
#include <map>

#include "argocd_tools.hpp"
#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "object_fields.hpp"
#include "path_patterns.hpp"
#include "repository_url.hpp"

namespace driftless::renderers {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxEntries = 100000;  // files and folders the git generator looks at
constexpr std::size_t kMaxGenerated = 1000;  // Applications one ApplicationSet may generate
constexpr std::uintmax_t kMaxParameterFile = 1 << 20;

// One generated element: its parameters as Go templates see them (nested)
// and as fasttemplate sees them (flat, dotted names).
struct Parameters {
  Value nested = Object{};
  std::map<std::string, std::string> flat;
};

std::string text_of(const Value& value) {
  if (value.is_string()) return value.as_string();
  return value.is_null() ? "" : to_json(value);
}

void flatten(const Value& value, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (value.is_object() && !value.as_object().empty()) {
    for (const auto& [key, member] : value.as_object()) flatten(member, prefix.empty() ? key : prefix + "." + key, out);
  } else {
    out[prefix] = text_of(value);
  }
}

// Argo CD's basenameNormalized: lower case, anything but [a-z0-9-.] becomes '-'.
std::string normalized(const std::string& name) {
  std::string out;
  for (char c : name) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(lower)) || lower == '-' || lower == '.') ? lower : '-';
  }
  return out;
}

// The git generators' path parameters of `folder` (and `file`, for the files generator).
void path_parameters(const std::string& folder, const std::string& file, Parameters& into) {
  std::vector<std::string> segments;
  for (std::size_t start = 0; start <= folder.size() && !folder.empty();) {
    const auto slash = folder.find('/', start);
    segments.push_back(folder.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const std::string basename = segments.empty() ? "" : segments.back();
  Object path;
  path.set("path", folder);
  path.set("basename", basename);
  path.set("basenameNormalized", normalized(basename));
  into.flat["path"] = folder;
  into.flat["path.basename"] = basename;
  into.flat["path.basenameNormalized"] = normalized(basename);
  if (!file.empty()) {
    path.set("filename", file);
    path.set("filenameNormalized", normalized(file));
    into.flat["path.filename"] = file;
    into.flat["path.filenameNormalized"] = normalized(file);
  }
  Array listed;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    into.flat["path[" + std::to_string(i) + "]"] = segments[i];
    listed.emplace_back(segments[i]);
  }
  path.set("segments", Value(std::move(listed)));
  into.nested.as_object().set("path", Value(std::move(path)));
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

class Generator {
 public:
  Generator(ObjectFields& fields, const Artifact& artifact) : fields_(fields), artifact_(artifact) {}

  std::vector<Parameters> run(const Value& generator, const std::string& at) {
    if (!generator.is_object() || generator.as_object().size() != 1) {
      fields_.error(at, "must name one generator (list or git)");
      return {};
    }
    const auto& [type, spec] = *generator.as_object().begin();
    if (type == "list") return list(spec, at + ".list");
    if (type == "git") return git(spec, at + ".git");
    fields_.error(at, "the " + type + " generator is not supported yet; list and git are (" + std::string(kArgocdDocs) + ")");
    return {};
  }

 private:
  std::vector<Parameters> list(const Value& spec, const std::string& at) {
    fields_.warn_unknown(&spec, at, {"elements", "template"}, kArgocdDocs);
    std::vector<Parameters> out;
    for (const auto& element : fields_.array_at(&spec, "elements", at + ".elements")) {
      if (!element.is_object()) {
        fields_.error(at + ".elements", "each element must be a mapping of parameters");
        continue;
      }
      Parameters parameters;
      parameters.nested = element;
      flatten(element, "", parameters.flat);
      out.push_back(std::move(parameters));
    }
    return out;
  }

  std::vector<Parameters> git(const Value& spec, const std::string& at) {
    fields_.warn_unknown(&spec, at, {"repoURL", "revision", "directories", "files", "template", "pathParamPrefix"}, kArgocdDocs);
    const std::string repo_url = fields_.string_at(&spec, "repoURL", at + ".repoURL");
    if (!own_repository(fields_, artifact_, repo_url, at + ".repoURL")) {
      fields_.error(at + ".repoURL", "'" + repo_url + "' is not the pipeline's own repository; the git generator reads the "
                                     "pipeline's own files only (" + std::string(kArgocdDocs) + ")");
      return {};
    }
    check_revision(fields_, artifact_, fields_.string_at(&spec, "revision", at + ".revision"), at + ".revision");
    if (!fields_.string_at(&spec, "pathParamPrefix", at + ".pathParamPrefix").empty())
      fields_.error(at + ".pathParamPrefix", "is not supported yet");
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
    const auto found = entries(artifact_, !files);
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
      if (files) read_parameter_file(path, at, out);
      else {
        Parameters parameters;
        path_parameters(path, "", parameters);
        out.push_back(std::move(parameters));
      }
    }
    return out;
  }

  // A file of the files generator: one mapping of parameters, or a list of them.
  void read_parameter_file(const std::string& path, const std::string& at, std::vector<Parameters>& out) {
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
      Parameters parameters;
      parameters.nested = item;
      flatten(item, "", parameters.flat);
      path_parameters(folder, file, parameters);
      out.push_back(std::move(parameters));
    }
  }

  ObjectFields& fields_;
  const Artifact& artifact_;
};

// `text` with each {{...}} replaced by its parameter; false after an error.
bool substitute(ObjectFields& fields, bool go, const Parameters& parameters, std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const auto open = text.find("{{", at);
    if (open == std::string::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string expression = text.substr(open + 2, close - open - 2);
    expression.erase(0, expression.find_first_not_of(" \t"));
    expression.erase(expression.find_last_not_of(" \t") + 1);
    if (go && !expression.empty() && expression[0] == '-') expression.erase(0, expression.find_first_not_of("- \t"));
    if (go && !expression.empty() && expression.back() == '-') expression.erase(expression.find_last_not_of("- \t") + 1);
    std::optional<std::string> value;
    if (go) {
      const bool reference = expression.size() > 1 && expression[0] == '.' &&
                             expression.find_first_of(" \t|()\"'") == std::string::npos;
      if (!reference) {
        fields.error("spec.template", "'{{" + expression + "}}': only parameter references such as {{.path.basename}} are "
                                      "supported, not template functions or pipelines (" + std::string(kArgocdDocs) + ")");
        return false;
      }
      const Value* found = &parameters.nested;
      for (std::size_t start = 1; found && start <= expression.size();) {
        const auto dot = expression.find('.', start);
        const std::string key = expression.substr(start, dot - start);
        found = found->is_object() ? found->find(key) : nullptr;
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      if (found) value = text_of(*found);
    } else if (auto it = parameters.flat.find(expression); it != parameters.flat.end()) {
      value = it->second;
    }
    if (!value) {
      fields.error("spec.template", "'{{" + expression + "}}' names no parameter of the generator");
      return false;
    }
    out += text.substr(at, open - at) + *value;
    at = close + 2;
  }
  text = out + text.substr(at);
  return true;
}

bool substitute_all(ObjectFields& fields, bool go, const Parameters& parameters, Value& value) {
  if (value.is_string()) return substitute(fields, go, parameters, value.as_string());
  if (value.is_array()) {
    for (auto& item : value.as_array())
      if (!substitute_all(fields, go, parameters, item)) return false;
  } else if (value.is_object()) {
    for (auto& [key, member] : value.as_object())
      if (!substitute_all(fields, go, parameters, member)) return false;
  }
  return true;
}

}  // namespace

std::vector<KubeObject> generate_applications(const KubeObject& set, const Artifact& artifact, std::vector<Diagnostic>& out) {
  ObjectFields fields(set, out);
  const Value* spec = fields.object_at(&set.body, "spec", "spec");
  const Value* templ = fields.object_at(spec, "template", "spec.template");
  if (!templ) fields.error("spec.template", "is required: the Application each element becomes");
  fields.warn_unknown(spec, "spec", {"generators", "template", "goTemplate", "goTemplateOptions", "syncPolicy", "strategy",
                                     "templatePatch", "preservedFields", "ignoreApplicationDifferences"}, kArgocdDocs);
  for (const char* unsupported : {"templatePatch", "strategy"})
    if (spec && spec->find(unsupported))
      fields.error(std::string("spec.") + unsupported, "is not supported yet (" + std::string(kArgocdDocs) + ")");
  if (spec && spec->find("syncPolicy"))
    fields.info("spec.syncPolicy", "driftless leaves the objects of a removed Application in place, as preserveResourcesOnDeletion does");
  const bool go = fields.bool_at(spec, "goTemplate", "spec.goTemplate");
  if (fields.failed()) return {};
  Generator generator(fields, artifact);
  std::vector<Parameters> elements;
  const Array& generators = fields.array_at(spec, "generators", "spec.generators");
  for (std::size_t i = 0; i < generators.size(); ++i)
    for (auto& element : generator.run(generators[i], "spec.generators[" + std::to_string(i) + "]"))
      elements.push_back(std::move(element));
  if (elements.size() > kMaxGenerated)
    fields.error("spec.generators", "generate " + std::to_string(elements.size()) + " Applications, more than " +
                                        std::to_string(kMaxGenerated));
  if (fields.failed()) return {};
  if (elements.empty()) fields.warn("spec.generators", "generate no Application");
  std::vector<KubeObject> applications;
  for (const auto& parameters : elements) {
    Value body = *templ;
    if (!substitute_all(fields, go, parameters, body)) return {};
    body.as_object().set("apiVersion", "argoproj.io/v1alpha1");
    body.as_object().set("kind", "Application");
    Value& metadata = body.as_object()["metadata"];
    if (!metadata.is_object()) metadata = Object{};
    metadata.as_object().set("namespace", set.namespace_name());
    applications.push_back({std::move(body), set.origin});
  }
  return applications;
}

}  // namespace driftless::renderers
