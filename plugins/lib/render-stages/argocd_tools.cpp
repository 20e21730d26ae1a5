#include "argocd_tools.hpp"

#include <filesystem>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "helm_stage.hpp"
#include "repository_url.hpp"
#include "tool_stage.hpp"

namespace fs = std::filesystem;

namespace driftless::renderers {
namespace {

bool flag(const Value* at, const char* name) {
  const Value* value = at ? at->find(name) : nullptr;
  return value && value->is_bool() && value->as_bool();
}

// Largest values file of the pipeline's repository read into a declaration:
// it travels in the declared pipeline's config, so it stays small.
constexpr std::uintmax_t kMaxReadValuesFile = 1024 * 1024;

// The values files of one helm block in order: those the helm stage reads,
// and those of the pipeline's repository read now and merged, which go under
// the inline values and so after every file the stage reads.
struct ValuesFiles {
  std::string field;  // "spec.sources[0].helm.valueFiles"
  bool ignore_missing = false;
  Array stage_files;
  Value merged = Object{};
  std::string first_merged;  // as written, to refuse a stage file listed after it
  std::vector<std::string> read_folders;
};

// A file of the source's own files (`normal`, relative to their root) as
// the helm stage's valuesFiles entry, after any merged one: refused, as the
// merged files come after every file the stage reads.
void add_stage_file(ObjectFields& fields, const Artifact* files, const std::string& written, const std::string& normal,
                    ValuesFiles& out) {
  if (!out.first_merged.empty()) {
    fields.error(out.field, "'" + written + "' is listed after '" + out.first_merged + "', a file of the pipeline's "
                            "repository that driftless reads with the Application and applies after the chart's own files; "
                            "list the files of other sources last");
    return;
  }
  if (out.ignore_missing && !files) {
    fields.warn(out.field, "'" + written + "' is read from a source fetched after the Application, so ignoreMissingValueFiles "
                           "cannot leave it out: a missing file fails the render");
  } else if (out.ignore_missing && !fs::exists(files->root / normal)) {
    fields.info(out.field, "'" + written + "' does not exist; left out as ignoreMissingValueFiles says");
    return;
  }
  out.stage_files.emplace_back(normal);
}

// A values file of the pipeline's repository for a source whose files are
// fetched later: read from the parent's artifact now and merged in order.
void merge_parent_file(ObjectFields& fields, const Artifact& parent, const std::string& written, const std::string& normal,
                       ValuesFiles& out) {
  out.read_folders.push_back(parent_folder(normal));  // a file created later renders the parent again
  std::error_code ec;
  if (out.ignore_missing && !fs::exists(parent.root / normal, ec)) {
    fields.info(out.field, "'" + written + "' does not exist; left out as ignoreMissingValueFiles says");
    return;
  }
  auto text = read_inside(parent.root, normal, kMaxReadValuesFile);
  if (!text.ok()) return fields.error(out.field, "'" + written + "': " + text.error().message);
  auto parsed = parse_yaml(*text, normal);
  const Value* values = parsed.documents.empty() ? nullptr : &parsed.documents[0].value;
  if (has_errors(parsed.diagnostics) || parsed.documents.size() > 1 || (values && !values->is_null() && !values->is_object()))
    return fields.error(out.field, "'" + written + "' (" + normal + " of the pipeline's repository) is not one YAML mapping of values");
  if (values && values->is_object()) merge_into(out.merged, *values);
  if (out.first_merged.empty()) out.first_merged = written;
}

// "$values/env/prod.yaml": a file below the root of the ref source `values`,
// read as that source's reach says.
void ref_values_file(ObjectFields& fields, const ToolSource& source, const std::string& written, ValuesFiles& out) {
  const auto slash = written.find('/');
  const std::string name = written.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  const auto ref = source.refs.find(name);
  if (ref == source.refs.end())
    return fields.error(out.field, "'" + written + "' names no source: no entry of spec.sources has ref: " + name);
  const auto normal = slash == std::string::npos ? std::nullopt : join_inside("", written.substr(slash + 1));
  if (!normal || normal->empty())
    return fields.error(out.field, "'" + written + "' is not a file below the root of " + ref->second.field);
  switch (ref->second.reach) {
    case RefReach::same_files:
      return add_stage_file(fields, source.files, written, *normal, out);
    case RefReach::parent_files:
      return merge_parent_file(fields, *source.parent, written, *normal, out);
    case RefReach::unreachable:
      return fields.error(out.field, "'" + written + "': " + ref->second.field + " is a repository other than the "
                                     "pipeline's and " + source.field + "'s; driftless reads values files of those two only");
  }
}

// A values file as Argo CD names it: relative to the source's folder, to the
// repository root with a leading '/', or to a ref source's root with "$ref/".
void values_file(ObjectFields& fields, const ToolSource& source, const std::string& written, ValuesFiles& out) {
  if (written[0] == '$') return ref_values_file(fields, source, written, out);
  if (written.find("://") != std::string::npos)
    return fields.error(out.field, "'" + written + "' is fetched from a URL, which driftless does not do; put the file in the repository");
  const auto inside = written[0] == '/' ? join_inside("", written.substr(1)) : join_inside(source.path, written);
  if (!inside) return fields.error(out.field, "'" + written + "' leads out of the repository");
  add_stage_file(fields, source.files, written, *inside, out);
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

// The parameters of the helm block `helm_field` laid over `values`, as `helm --set` would.
void set_parameters(ObjectFields& fields, const std::string& helm_field, const Value& parameters, Value& values) {
  const std::string field = helm_field + ".parameters";
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
Value inline_values(ObjectFields& fields, const std::string& helm_field, const Value& helm) {
  Value values = Object{};
  if (const Value* object = helm.find("valuesObject"); object && !object->is_null()) {
    if (!object->is_object()) fields.error(helm_field + ".valuesObject", "must be a mapping");
    else values = *object;
    if (helm.find("values")) fields.info(helm_field + ".values", "ignored: valuesObject is set, and wins (as in Argo CD)");
  } else if (const std::string text = fields.string_at(&helm, "values", helm_field + ".values"); !text.empty()) {
    auto parsed = parse_yaml(text, fields.object().origin.file);
    if (!parsed.diagnostics.empty() || parsed.documents.size() > 1 ||
        (!parsed.documents.empty() && !parsed.documents[0].value.is_object())) {
      fields.error(helm_field + ".values", "is not one YAML mapping" +
                                                      (parsed.diagnostics.empty() ? "" : ": " + parsed.diagnostics[0].message));
    } else if (!parsed.documents.empty()) {
      values = std::move(parsed.documents[0].value);
    }
  }
  if (const Value* parameters = helm.find("parameters")) set_parameters(fields, helm_field, *parameters, values);
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

Object helm_stage_keys(ObjectFields& fields, const ToolSource& source, const std::string& release,
                       const std::string& destination_namespace, std::vector<std::string>& read_folders) {
  Object keys;
  const std::string helm_field = source.field + ".helm";
  const Value* helm = source.block->find("helm");
  const std::string release_name = fields.string_at(helm, "releaseName", helm_field + ".releaseName");
  keys.set("releaseName", release_name.empty() ? release : release_name);
  const std::string namespace_name = fields.string_at(helm, "namespace", helm_field + ".namespace");
  if (!namespace_name.empty() || !destination_namespace.empty())
    keys.set("namespace", namespace_name.empty() ? destination_namespace : namespace_name);
  if (!helm) return keys;
  fields.warn_unknown(helm, helm_field, {"valueFiles", "values", "valuesObject", "parameters", "releaseName", "namespace",
                              "ignoreMissingValueFiles", "skipCrds", "skipTests", "kubeVersion", "apiVersions", "version"}, kArgocdDocs);
  if (const std::string version = fields.string_at(helm, "version", helm_field + ".version"); !version.empty() && version != "v3")
    fields.warn(helm_field + ".version", "'" + version + "' is not supported; driftless renders with Helm 3");
  ValuesFiles files;
  files.field = helm_field + ".valueFiles";
  files.ignore_missing = flag(helm, "ignoreMissingValueFiles");
  if (const Value* listed = helm->find("valueFiles"); listed && listed->is_array()) {
    for (const auto& file : listed->as_array()) {
      if (file.is_string() && !file.as_string().empty()) values_file(fields, source, file.as_string(), files);
      else fields.error(files.field, "must be a list of file names");
    }
    keys.set("valuesFiles", std::move(files.stage_files));
  }
  Value values = std::move(files.merged);
  merge_into(values, inline_values(fields, helm_field, *helm));
  if (!values.as_object().empty()) keys.set("values", std::move(values));
  read_folders.insert(read_folders.end(), files.read_folders.begin(), files.read_folders.end());
  if (flag(helm, "skipCrds")) keys.set("includeCRDs", false);
  for (const char* copied : {"skipTests", "kubeVersion", "apiVersions"})
    if (const Value* value = helm->find(copied)) keys.set(copied, *value);
  return keys;
}

Object overlay_stage_keys(ObjectFields& fields, const Value* kustomize, const std::string& field) {
  Object keys;
  if (!kustomize) return keys;
  fields.warn_unknown(kustomize, field, {"images", "namePrefix", "nameSuffix", "namespace", "commonLabels",
                                        "commonAnnotations", "labelWithoutSelector", "patches"}, kArgocdDocs);
  for (const char* copied : {"namePrefix", "nameSuffix"})
    if (const std::string value = fields.string_at(kustomize, copied, field + "." + copied); !value.empty())
      keys.set(copied, value);
  if (const std::string ns = fields.string_at(kustomize, "namespace", field + ".namespace"); !ns.empty())
    keys.set("targetNamespace", ns);
  Object metadata;
  if (const Value* labels = kustomize->find("commonLabels")) {
    metadata.set("labels", *labels);
    if (!flag(kustomize, "labelWithoutSelector"))
      fields.warn(field + ".commonLabels",
                  "set on the objects' metadata only; unlike Argo CD, driftless does not add them to selectors and pod "
                  "templates (set labelWithoutSelector: true to say that is intended)");
  }
  if (const Value* annotations = kustomize->find("commonAnnotations")) metadata.set("annotations", *annotations);
  if (!metadata.empty()) keys.set("commonMetadata", std::move(metadata));
  if (const Value* images = kustomize->find("images"); images && images->is_array()) {
    Array converted;
    for (const auto& text : images->as_array()) {
      if (text.is_string() && !text.as_string().empty()) converted.push_back(image(text.as_string()));
      else fields.error(field + ".images", "must be a list of strings like 'name=newName:tag'");
    }
    keys.set("images", std::move(converted));
  }
  if (const Value* patches = kustomize->find("patches"); patches && patches->is_array()) {
    Array converted;
    for (const auto& patch : patches->as_array()) {
      if (patch.find("path")) {
        fields.error(field + ".patches", "a patch read from a file (path) is not supported yet; inline it as patch");
        continue;
      }
      fields.warn_unknown(&patch, field + ".patches[]", {"patch", "target"}, kArgocdDocs);
      Object kept;
      for (const char* copied : {"patch", "target"})
        if (const Value* value = patch.find(copied)) kept.set(copied, *value);
      converted.emplace_back(std::move(kept));
    }
    keys.set("patches", std::move(converted));
  }
  return keys;
}

Object yaml_stage_keys(ObjectFields& fields, const Value* directory, const std::string& field) {
  Object keys;
  fields.warn_unknown(directory, field, {"recurse", "include", "exclude", "jsonnet"}, kArgocdDocs);
  if (const Value* jsonnet = directory ? directory->find("jsonnet") : nullptr;
      jsonnet && !(jsonnet->is_object() && jsonnet->as_object().empty()))
    fields.error(field + ".jsonnet", "Jsonnet is not supported");
  if (const std::string include = fields.string_at(directory, "include", field + ".include"); !include.empty())
    keys.set("include", globs(include));
  const std::string excluded = fields.string_at(directory, "exclude", field + ".exclude");
  Value exclude = excluded.empty() ? Value(Array{}) : globs(excluded);
  // Argo CD reads only the folder's own files unless recurse is set.
  if (!flag(directory, "recurse")) exclude.as_array().emplace_back("*/**");
  keys.set("exclude", std::move(exclude));
  return keys;
}

}  // namespace driftless::renderers
