#include "argocd_tools.hpp"

#include <filesystem>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "repository_url.hpp"

namespace fs = std::filesystem;

namespace driftless::renderers {
namespace {

constexpr const char* kHelm = "spec.source.helm";
constexpr const char* kKustomize = "spec.source.kustomize";
constexpr const char* kDirectory = "spec.source.directory";

bool flag(const Value* at, const char* name) {
  const Value* value = at ? at->find(name) : nullptr;
  return value && value->is_bool() && value->as_bool();
}

// A values file as Argo CD names it (relative to the Application's folder, or
// to the repository root with a leading '/') as the helm stage names it.
std::string values_file(ObjectFields& fields, const Artifact* files, const std::string& path, const std::string& file,
                        bool ignore_missing) {
  const std::string field = std::string(kHelm) + ".valueFiles";
  if (!file.empty() && file[0] == '$') {
    fields.error(field, "'" + file + "' names another source of a multi-source Application, which is not supported yet");
    return {};
  }
  if (file.find("://") != std::string::npos) {
    fields.error(field, "'" + file + "' is fetched from a URL, which driftless does not do; put the file in the repository");
    return {};
  }
  // A leading '/' is the repository root, as in Argo CD.
  const auto inside = file[0] == '/' ? join_inside("", file.substr(1)) : join_inside(path, file);
  if (!inside) {
    fields.error(field, "'" + file + "' leads out of the repository");
    return {};
  }
  const std::string& normal = *inside;
  if (ignore_missing && !files) {
    fields.warn(field, "'" + file + "' is read from a source fetched after the Application, so ignoreMissingValueFiles "
                       "cannot leave it out: a missing file fails the render");
  } else if (ignore_missing && !fs::exists(files->root / normal)) {
    fields.info(field, "'" + file + "' does not exist; left out as ignoreMissingValueFiles says");
    return {};
  }
  return normal;
}

// helm --set's reading of a value: booleans, null and integers are typed
// (an integer with a leading zero stays a string), all else is a string.
Value set_value(const std::string& text) {
  if (text == "true" || text == "false") return text == "true";
  if (text == "null") return nullptr;
  const std::size_t first = !text.empty() && text[0] == '-' ? 1 : 0;
  const std::string digits = text.substr(first);
  const bool integer = !digits.empty() && digits.size() < 19 && digits.find_first_not_of("0123456789") == std::string::npos &&
                       (digits.size() == 1 || digits[0] != '0');
  if (integer) return std::int64_t{std::stoll(text)};
  return text;
}

// "a.b\.c" -> {"a", "b.c"}: helm's dotted names, with "\." for a dot in a key.
std::vector<std::string> dotted(const std::string& name) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 1 < name.size() && name[i + 1] == '.') out.back() += name[++i];
    else if (name[i] == '.') out.emplace_back();
    else out.back() += name[i];
  }
  return out;
}

// spec.source.helm.parameters laid over `values`, as `helm --set` would.
void set_parameters(ObjectFields& fields, const Value& parameters, Value& values) {
  const std::string field = std::string(kHelm) + ".parameters";
  if (!parameters.is_array()) return fields.error(field, "must be a list");
  for (const auto& parameter : parameters.as_array()) {
    const std::string name = fields.string_at(&parameter, "name", field);
    if (name.empty() || name.find('[') != std::string::npos) {
      fields.error(field, "'" + name + "' is not a name driftless can set (list indexes are not supported yet)");
      continue;
    }
    fields.warn_unknown(&parameter, field + "[" + name + "]", {"name", "value", "forceString"}, kArgocdDocs);
    const std::string text = fields.string_at(&parameter, "value", field);
    Value* at = &values;
    for (const auto& key : dotted(name)) {
      if (!at->is_object()) *at = Object{};
      at = &at->as_object()[key];
    }
    *at = flag(&parameter, "forceString") ? Value(text) : set_value(text);
  }
}

// valuesObject, else values (a YAML text), then the parameters over them.
Value inline_values(ObjectFields& fields, const Value& helm) {
  Value values = Object{};
  if (const Value* object = helm.find("valuesObject"); object && !object->is_null()) {
    if (!object->is_object()) fields.error(std::string(kHelm) + ".valuesObject", "must be a mapping");
    else values = *object;
    if (helm.find("values")) fields.info(std::string(kHelm) + ".values", "ignored: valuesObject is set, and wins (as in Argo CD)");
  } else if (const std::string text = fields.string_at(&helm, "values", std::string(kHelm) + ".values"); !text.empty()) {
    auto parsed = parse_yaml(text, fields.object().origin.file);
    if (!parsed.diagnostics.empty() || parsed.documents.size() > 1 ||
        (!parsed.documents.empty() && !parsed.documents[0].value.is_object())) {
      fields.error(std::string(kHelm) + ".values", "is not one YAML mapping" +
                                                      (parsed.diagnostics.empty() ? "" : ": " + parsed.diagnostics[0].message));
    } else if (!parsed.documents.empty()) {
      values = std::move(parsed.documents[0].value);
    }
  }
  if (const Value* parameters = helm.find("parameters")) set_parameters(fields, *parameters, values);
  return values;
}

// "old=new:tag", "name:tag", "name@sha256:..." (kustomize edit set image) as an overlay image.
Value image(const std::string& text) {
  Object out;
  std::string rest = text;
  std::string name;
  if (const auto eq = rest.find('='); eq != std::string::npos) {
    name = rest.substr(0, eq);
    rest = rest.substr(eq + 1);
  }
  std::string digest, tag;
  if (const auto at = rest.find('@'); at != std::string::npos) {
    digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  const auto colon = rest.rfind(':');
  const auto slash = rest.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  out.set("name", name.empty() ? rest : name);
  if (!name.empty() && !rest.empty()) out.set("newName", rest);
  if (!tag.empty()) out.set("newTag", tag);
  if (!digest.empty()) out.set("digest", digest);
  return out;
}

// Argo CD's include/exclude are one glob each, with {a,b} alternatives: the yaml stage's list.
void expand_braces(const std::string& glob, std::vector<std::string>& out) {
  const auto open = glob.find('{');
  const auto close = open == std::string::npos ? std::string::npos : glob.find('}', open);
  if (close == std::string::npos) {
    if (out.size() < 256) out.push_back(glob);
    return;
  }
  const std::string head = glob.substr(0, open), tail = glob.substr(close + 1);
  const std::string choices = glob.substr(open + 1, close - open - 1);
  for (std::size_t start = 0;;) {
    const auto comma = choices.find(',', start);
    expand_braces(head + choices.substr(start, comma - start) + tail, out);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

Value globs(const std::string& glob) {
  std::vector<std::string> expanded;
  expand_braces(glob, expanded);
  Array out;
  for (auto& g : expanded) out.emplace_back(std::move(g));
  return out;
}

}  // namespace

bool own_repository(ObjectFields& fields, const Artifact& artifact, const std::string& repo_url, const std::string& field) {
  const auto url = artifact.metadata.find("url");
  if (url == artifact.metadata.end()) {
    fields.warn(field, "the pipeline's source is not a Git repository, so '" + repo_url +
                           "' cannot be compared with it; the pipeline's own source is used");
    return true;
  }
  return repository_key(url->second) == repository_key(repo_url);
}

void check_revision(ObjectFields& fields, const Artifact& artifact, std::string wanted, const std::string& field) {
  if (wanted.empty() || wanted == "HEAD") return;
  for (const char* prefix : {"refs/heads/", "refs/tags/"})
    if (wanted.rfind(prefix, 0) == 0) wanted = wanted.substr(std::string(prefix).size());
  const auto at = artifact.revision.find('@');
  const std::string label = at == std::string::npos ? std::string() : artifact.revision.substr(0, at);
  const auto commit = artifact.metadata.find("commit");
  const bool same_commit = commit != artifact.metadata.end() && wanted.size() >= 7 && commit->second.rfind(wanted, 0) == 0;
  if (wanted != label && !same_commit)
    fields.warn(field, "'" + wanted + "' is not what the pipeline tracks; its revision " + artifact.revision + " is used (" +
                           kArgocdDocs + ")");
}

Object helm_stage_keys(ObjectFields& fields, const Artifact* files, const Value* helm, const std::string& path,
                       const std::string& release, const std::string& destination_namespace) {
  Object keys;
  const std::string release_name = fields.string_at(helm, "releaseName", std::string(kHelm) + ".releaseName");
  keys.set("releaseName", release_name.empty() ? release : release_name);
  const std::string namespace_name = fields.string_at(helm, "namespace", std::string(kHelm) + ".namespace");
  if (!namespace_name.empty() || !destination_namespace.empty())
    keys.set("namespace", namespace_name.empty() ? destination_namespace : namespace_name);
  if (!helm) return keys;
  fields.warn_unknown(helm, kHelm, {"valueFiles", "values", "valuesObject", "parameters", "releaseName", "namespace",
                              "ignoreMissingValueFiles", "skipCrds", "skipTests", "kubeVersion", "apiVersions", "version"}, kArgocdDocs);
  if (const std::string version = fields.string_at(helm, "version", std::string(kHelm) + ".version"); !version.empty() && version != "v3")
    fields.warn(std::string(kHelm) + ".version", "'" + version + "' is not supported; driftless renders with Helm 3");
  if (const Value* listed = helm->find("valueFiles"); listed && listed->is_array()) {
    Array converted;
    for (const auto& file : listed->as_array()) {
      if (!file.is_string() || file.as_string().empty()) {
        fields.error(std::string(kHelm) + ".valueFiles", "must be a list of file names");
        continue;
      }
      std::string name = values_file(fields, files, path, file.as_string(), flag(helm, "ignoreMissingValueFiles"));
      if (!name.empty()) converted.emplace_back(std::move(name));
    }
    keys.set("valuesFiles", std::move(converted));
  }
  if (Value values = inline_values(fields, *helm); !values.as_object().empty()) keys.set("values", std::move(values));
  if (flag(helm, "skipCrds")) keys.set("includeCRDs", false);
  for (const char* copied : {"skipTests", "kubeVersion", "apiVersions"})
    if (const Value* value = helm->find(copied)) keys.set(copied, *value);
  return keys;
}

Object overlay_stage_keys(ObjectFields& fields, const Value* kustomize) {
  Object keys;
  if (!kustomize) return keys;
  fields.warn_unknown(kustomize, kKustomize, {"images", "namePrefix", "nameSuffix", "namespace", "commonLabels",
                                        "commonAnnotations", "labelWithoutSelector", "patches"}, kArgocdDocs);
  for (const char* copied : {"namePrefix", "nameSuffix"})
    if (const std::string value = fields.string_at(kustomize, copied, std::string(kKustomize) + "." + copied); !value.empty())
      keys.set(copied, value);
  if (const std::string ns = fields.string_at(kustomize, "namespace", std::string(kKustomize) + ".namespace"); !ns.empty())
    keys.set("targetNamespace", ns);
  Object metadata;
  if (const Value* labels = kustomize->find("commonLabels")) {
    metadata.set("labels", *labels);
    if (!flag(kustomize, "labelWithoutSelector"))
      fields.warn(std::string(kKustomize) + ".commonLabels",
                  "set on the objects' metadata only; unlike Argo CD, driftless does not add them to selectors and pod "
                  "templates (set labelWithoutSelector: true to say that is intended)");
  }
  if (const Value* annotations = kustomize->find("commonAnnotations")) metadata.set("annotations", *annotations);
  if (!metadata.empty()) keys.set("commonMetadata", std::move(metadata));
  if (const Value* images = kustomize->find("images"); images && images->is_array()) {
    Array converted;
    for (const auto& text : images->as_array()) {
      if (text.is_string() && !text.as_string().empty()) converted.push_back(image(text.as_string()));
      else fields.error(std::string(kKustomize) + ".images", "must be a list of strings like 'name=newName:tag'");
    }
    keys.set("images", std::move(converted));
  }
  if (const Value* patches = kustomize->find("patches"); patches && patches->is_array()) {
    Array converted;
    for (const auto& patch : patches->as_array()) {
      if (patch.find("path")) {
        fields.error(std::string(kKustomize) + ".patches", "a patch read from a file (path) is not supported yet; inline it as patch");
        continue;
      }
      fields.warn_unknown(&patch, std::string(kKustomize) + ".patches[]", {"patch", "target"}, kArgocdDocs);
      Object kept;
      for (const char* copied : {"patch", "target"})
        if (const Value* value = patch.find(copied)) kept.set(copied, *value);
      converted.emplace_back(std::move(kept));
    }
    keys.set("patches", std::move(converted));
  }
  return keys;
}

Object yaml_stage_keys(ObjectFields& fields, const Value* directory) {
  Object keys;
  fields.warn_unknown(directory, kDirectory, {"recurse", "include", "exclude", "jsonnet"}, kArgocdDocs);
  if (const Value* jsonnet = directory ? directory->find("jsonnet") : nullptr;
      jsonnet && !(jsonnet->is_object() && jsonnet->as_object().empty()))
    fields.error(std::string(kDirectory) + ".jsonnet", "Jsonnet is not supported");
  if (const std::string include = fields.string_at(directory, "include", std::string(kDirectory) + ".include"); !include.empty())
    keys.set("include", globs(include));
  const std::string excluded = fields.string_at(directory, "exclude", std::string(kDirectory) + ".exclude");
  Value exclude = excluded.empty() ? Value(Array{}) : globs(excluded);
  // Argo CD reads only the folder's own files unless recurse is set.
  if (!flag(directory, "recurse")) exclude.as_array().emplace_back("*/**");
  keys.set("exclude", std::move(exclude));
  return keys;
}

}  // namespace driftless::renderers
