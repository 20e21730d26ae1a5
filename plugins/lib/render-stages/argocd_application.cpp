#include "argocd_application.hpp"

#include <algorithm>
#include <filesystem>

#include "object_fields.hpp"
#include "argocd_tools.hpp"
#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/semver.hpp"
#include "helm_stage.hpp"
#include "kustomize_stage.hpp"
#include "repository_url.hpp"

namespace driftless::renderers {
namespace {

// Argo CD's targetRevision of another Git repository as the git source's ref:
// HEAD (or none) the server's default branch, refs/heads/ and refs/tags/ as
// they say, a full commit id, a version (a tag), a version range (the
// highest tag in it), and any other name a branch.
Object git_ref(const std::string& revision) {
  Object ref;
  auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  if (revision.empty() || revision == "HEAD") ref.set("branch", "HEAD");
  else if (revision.rfind("refs/heads/", 0) == 0) ref.set("branch", revision.substr(11));
  else if (revision.rfind("refs/tags/", 0) == 0) ref.set("tag", revision.substr(10));
  else if (revision.size() == 40 && std::all_of(revision.begin(), revision.end(), is_hex)) ref.set("commit", revision);
  else if (SemVer::parse(revision)) ref.set("tag", revision);
  else if (SemVerRange::parse(revision).ok()) ref.set("semver", revision);
  else ref.set("branch", revision);
  return ref;
}

// Another Git repository, fetched by the declared pipeline's own git source.
std::optional<PluginUse> git_source(ObjectFields& fields, const std::string& field, const std::string& repo_url,
                                    const std::string& revision) {
  if (!is_fetchable_git_url(repo_url)) {
    fields.error(field + ".repoURL", "'" + repository_key(repo_url) + "' is another repository than the pipeline's; "
                 "driftless fetches one an Application names over https://, http://, git:// or ssh:// (or git@host:path) "
                 "only: a file URL or path would read this machine");
    return std::nullopt;
  }
  Object config;
  config.set("url", repo_url);
  config.set("ref", git_ref(revision));
  return PluginUse{"git", Value(std::move(config))};
}

// A chart of a Helm repository: an http(s) repository through the helm-chart
// source, an OCI registry (a repoURL without a scheme, or oci://) through the
// oci source's Helm chart layer. Either holds the chart in a folder of its name.
std::optional<PluginUse> chart_source(ObjectFields& fields, const std::string& field, const std::string& repo_url,
                                      const std::string& chart, const std::string& version) {
  const bool named = !chart.empty() && chart.find('/') == std::string::npos && chart != "." && chart != "..";
  if (!named) fields.error(field + ".chart", "'" + chart + "' is not a chart name");
  if (version.empty())
    fields.error(field + ".targetRevision", "is required with a chart: the chart's version, or a range such as '1.x'");
  if (repo_url.empty()) fields.error(field + ".repoURL", "is required: the chart's Helm repository");
  if (fields.failed()) return std::nullopt;
  Object config;
  if (repo_url.rfind("https://", 0) == 0 || repo_url.rfind("http://", 0) == 0) {
    config.set("url", repo_url);
    config.set("chart", chart);
    config.set("version", version);
    return PluginUse{"helm-chart", Value(std::move(config))};
  }
  std::string registry = repo_url.rfind("oci://", 0) == 0 ? repo_url.substr(6) : repo_url;
  while (!registry.empty() && registry.back() == '/') registry.pop_back();
  if (registry.find("://") != std::string::npos) {
    fields.error(field + ".repoURL", "'" + repo_url.substr(0, 200) + "' is neither an http(s):// Helm repository nor an OCI registry");
    return std::nullopt;
  }
  Object ref;
  ref.set(SemVer::parse(version) ? "tag" : "semver", version);
  Object layer;
  layer.set("mediaType", "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
  layer.set("operation", "extract");
  config.set("url", "oci://" + registry + "/" + chart);
  config.set("ref", Value(std::move(ref)));
  config.set("layerSelector", Value(std::move(layer)));
  return PluginUse{"oci", Value(std::move(config))};
}

// The folder as the core names it: '/'-separated, "" for the root, never above it.
std::optional<std::string> folder(ObjectFields& fields, const std::string& field, const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    fields.error(field + ".path", "'" + path + "' must be relative to the repository root");
    return std::nullopt;
  }
  auto out = join_inside("", path);
  if (!out) fields.error(field + ".path", "'" + path + "' leads out of the repository");
  return out;
}

// The kubeconfig context of spec.destination ("" = the parent's cluster).
// Argo CD names its clusters in Secrets; driftless never reads them, so a
// destination.name is a context of the parent sink's own kubeconfig, one the
// operator offers in its declaredContexts, and a destination.server one of
// the argocd stage's `clusters` lists.
std::string destination_context(ObjectFields& fields, const Value* destination, const std::vector<ArgocdCluster>& clusters) {
  fields.warn_unknown(destination, "spec.destination", {"server", "name", "namespace"}, kArgocdDocs);
  const std::string server = fields.string_at(destination, "server", "spec.destination.server");
  const std::string given_name = fields.string_at(destination, "name", "spec.destination.name");
  const bool in_cluster = server == "https://kubernetes.default.svc" || server == "https://kubernetes.default.svc/";
  if (!server.empty() && !given_name.empty()) {
    fields.error("spec.destination", "names both a server and a cluster name; name one (as Argo CD requires)");
    return "";
  }
  std::string name = given_name;
  if (name.empty() && !server.empty() && !in_cluster)
    for (const auto& cluster : clusters)
      if (cluster.server == server) name = cluster.name;
  if (server.empty() && name.empty()) {
    fields.error("spec.destination", "names no cluster (server or name)");
  } else if (name.empty() && !in_cluster) {
    fields.error("spec.destination.server", "'" + server + "' is not the pipeline's own cluster "
                 "(https://kubernetes.default.svc) nor the server of a cluster the argocd stage's `clusters` lists; name "
                 "another cluster with destination.name, a context of the pipeline's kubeconfig that its kube sink lists "
                 "in declaredContexts, or list it in `clusters` (" + kArgocdDocs + ")");
  } else if (!name.empty() && name != "in-cluster") {
    fields.info("spec.destination.name", "'" + name + "': the Application applies to the context '" + name + "' of its "
                "parent's kubeconfig, which the kube sink must list in declaredContexts");
    return name;
  }
  return "";
}

// One "Key=Value" of spec.syncPolicy.syncOptions.
void sync_option(ObjectFields& fields, const std::string& option, Object& sink) {
  const std::string field = "spec.syncPolicy.syncOptions";
  if (option == "CreateNamespace=true") sink.set("createNamespaces", true);
  else if (option == "CreateNamespace=false") return;
  else if (option.rfind("ServerSideApply=", 0) == 0)
    fields.info(field, "'" + option + "': driftless always applies server-side");
  else if (option.rfind("PruneLast=", 0) == 0)
    fields.info(field, "'" + option + "': driftless always prunes after everything else is applied");
  else if (option == "Replace=true")
    fields.warn(field, "'Replace=true' is not supported; driftless applies server-side and takes over fields with force");
  else fields.warn(field, "'" + option + "' is not supported; ignored (" + kArgocdDocs + ")");
}

// spec.syncPolicy as the sink's keys: prune, drift and allowEmpty as Argo CD's automated sync does them.
Object sink_keys(ObjectFields& fields, const Value* policy) {
  Object sink;
  fields.warn_unknown(policy, "spec.syncPolicy", {"automated", "syncOptions", "retry"}, kArgocdDocs);
  if (policy && policy->find("retry"))
    fields.info("spec.syncPolicy.retry", "driftless retries a failed sync with its own backoff; the retry settings are not read");
  const Value* automated = policy ? policy->find("automated") : nullptr;
  const Value* enabled = automated ? automated->find("enabled") : nullptr;
  const bool automatic = automated && automated->is_object() && !(enabled && enabled->is_bool() && !enabled->as_bool());
  fields.warn_unknown(automated, "spec.syncPolicy.automated", {"prune", "selfHeal", "allowEmpty", "enabled"}, kArgocdDocs);
  auto set = [&](const char* name) {
    const Value* value = automatic ? automated->find(name) : nullptr;
    return value && value->is_bool() && value->as_bool();
  };
  if (!automatic)
    fields.warn("spec.syncPolicy.automated",
                "not set: Argo CD would wait for a manual sync, driftless syncs it at every change (without pruning or "
                "healing drift, as Argo CD's manual sync) (" + std::string(kArgocdDocs) + ")");
  sink.set("prune", set("prune"));
  sink.set("drift", set("selfHeal") ? "heal" : "report");
  if (set("allowEmpty")) sink.set("allowEmpty", true);
  if (const Value* options = policy ? policy->find("syncOptions") : nullptr; options && options->is_array()) {
    for (const auto& option : options->as_array()) {
      if (option.is_string()) sync_option(fields, option.as_string(), sink);
      else fields.error("spec.syncPolicy.syncOptions", "must be a list of strings like 'CreateNamespace=true'");
    }
  }
  return sink;
}

std::optional<long> wave_of(ObjectFields& fields, const KubeObject& object) {
  const Value* wave = object.body.at_path({"metadata", "annotations", "argocd.argoproj.io/sync-wave"});
  if (!wave) return 0L;
  try {
    std::size_t used = 0;
    const long value = wave->is_string() ? std::stol(wave->as_string(), &used) : -1;
    if (wave->is_string() && used == wave->as_string().size()) return value;
  } catch (const std::exception&) {
  }
  fields.error("metadata.annotations[argocd.argoproj.io/sync-wave]", "must be a whole number in quotes, like \"1\"");
  return std::nullopt;
}

// The stage `type` with `keys`, under what the settings lay under every stage of that type.
PluginUse stage(const ArgocdSettings& settings, const std::string& type, Object keys) {
  Value config = Object{};
  if (const Value* given = settings.child_renderers.is_object() ? settings.child_renderers.find(type) : nullptr) config = *given;
  for (auto& [key, value] : keys) config.as_object().set(key, std::move(value));
  return {type, std::move(config)};
}

// The tool Argo CD would render the source's folder with, then the argocd
// stage for Applications it holds. `chart` says the source is a chart.
std::vector<PluginUse> chain(ObjectFields& fields, const ToolSource& tool, bool chart, const ArgocdSettings& settings,
                             const std::string& name, const std::string& destination_namespace,
                             std::vector<std::string>& read_folders) {
  const Value* helm = tool.block->find("helm");
  const Value* kustomize = tool.block->find("kustomize");
  const Value* directory = tool.block->find("directory");
  if ((helm ? 1 : 0) + (kustomize ? 1 : 0) + (directory ? 1 : 0) > 1)
    fields.error(tool.field, "sets more than one of helm, kustomize and directory (as Argo CD, driftless needs one)");
  if (chart && (kustomize || directory))
    fields.error(tool.field, "a chart is rendered with helm; kustomize and directory do not apply to it");
  Object nested;
  if (settings.child_renderers.is_object() && !settings.child_renderers.as_object().empty())
    nested.set("childStageKeys", settings.child_renderers);
  if (!settings.clusters.list.empty()) nested.set("clusters", settings.clusters.given);
  std::vector<PluginUse> out;
  const Artifact* files = tool.files;
  if (helm || chart || (!kustomize && !directory && files && is_chart(*files, tool.path))) {
    out.push_back(stage(settings, "helm", helm_stage_keys(fields, tool, name, destination_namespace, read_folders)));
  } else if (kustomize || (!directory && files && !kustomization_file(*files, tool.path).empty())) {
    out.push_back(stage(settings, "kustomize", {}));
    if (Object keys = overlay_stage_keys(fields, kustomize, tool.field + ".kustomize"); !keys.empty())
      out.push_back(stage(settings, "overlay", std::move(keys)));
  } else if (directory || files) {
    out.push_back(stage(settings, "yaml", yaml_stage_keys(fields, directory, tool.field + ".directory")));
  } else {
    // The folder is not at hand to look at: auto decides when it renders, and reads the Applications too.
    fields.info(tool.field, "the folder of another repository is rendered by auto: as a chart, a kustomization or "
                            "plain YAML, whichever it holds (its subfolders included)");
    nested.set("flux", false);
    out.push_back(stage(settings, "auto", std::move(nested)));
    return out;
  }
  out.push_back(stage(settings, "argocd", std::move(nested)));
  return out;
}

// One entry of spec.sources, or spec.source, as written.
struct SourceSpec {
  const Value* block = nullptr;
  std::string field;  // "spec.source", "spec.sources[1]"
  std::string repo_url, revision, chart, path, ref, label;
  bool of_chart = false;
  bool own = false;       // a folder of the pipeline's own repository
  bool rendered = true;   // false for a ref source without a path: it only lends values files
};

SourceSpec read_source(ObjectFields& fields, const Artifact& artifact, const Value& block, const std::string& field,
                       bool multi) {
  SourceSpec s;
  s.block = &block;
  s.field = field;
  fields.warn_unknown(&block, field, {"repoURL", "path", "targetRevision", "helm", "kustomize", "directory", "chart",
                                      "plugin", "ref", "name"}, kArgocdDocs);
  if (block.find("plugin")) fields.error(field + ".plugin", "config management plugins are not supported");
  s.repo_url = fields.string_at(&block, "repoURL", field + ".repoURL");
  s.revision = fields.string_at(&block, "targetRevision", field + ".targetRevision");
  s.chart = fields.string_at(&block, "chart", field + ".chart");
  s.path = fields.string_at(&block, "path", field + ".path");
  s.ref = fields.string_at(&block, "ref", field + ".ref");
  s.label = fields.string_at(&block, "name", field + ".name");
  s.of_chart = block.find("chart") != nullptr;
  if (!multi && !s.ref.empty()) {
    fields.warn(field + ".ref", "ignored: a ref names an entry of spec.sources (as in Argo CD)");
    s.ref.clear();
  }
  if (s.of_chart && !s.ref.empty())
    fields.error(field + ".ref", "a chart cannot be a ref source (as in Argo CD): values files come from Git");
  // As in Argo CD, a ref source is rendered too when it names a path.
  s.rendered = s.ref.empty() || block.find("path");
  if (!s.of_chart && own_repository(fields, artifact, s.repo_url, field + ".repoURL")) {
    s.own = true;
    check_revision(fields, artifact, s.revision, field + ".targetRevision");
  }
  return s;
}

// spec.sources, or spec.source as the only source; empty after an error.
std::vector<SourceSpec> application_sources(ObjectFields& fields, const Artifact& artifact, const Value* spec) {
  const Value* source = spec ? spec->find("source") : nullptr;
  const Value* sources = spec ? spec->find("sources") : nullptr;
  std::vector<SourceSpec> out;
  if (!sources) {
    if (!source || !source->is_object()) fields.error("spec.source", "is missing; it names the folder to deploy");
    else out.push_back(read_source(fields, artifact, *source, "spec.source", false));
    return out;
  }
  if (source) fields.warn("spec.source", "ignored: spec.sources is set, and Argo CD then reads spec.sources only");
  if (!sources->is_array() || sources->as_array().empty()) {
    fields.error("spec.sources", "must be a list of sources");
    return out;
  }
  for (std::size_t i = 0; i < sources->as_array().size(); ++i) {
    const Value& entry = sources->as_array()[i];
    const std::string field = "spec.sources[" + std::to_string(i) + "]";
    if (entry.is_object()) out.push_back(read_source(fields, artifact, entry, field, true));
    else fields.error(field, "must be a mapping");
  }
  if (std::none_of(out.begin(), out.end(), [](const SourceSpec& s) { return s.rendered; }))
    fields.error("spec.sources", "every source is a ref source without a path: nothing is rendered");
  return out;
}

// The ref sources by name, each name once.
std::map<std::string, const SourceSpec*> ref_sources(ObjectFields& fields, const std::vector<SourceSpec>& sources) {
  std::map<std::string, const SourceSpec*> out;
  for (const auto& s : sources)
    if (!s.ref.empty() && !out.emplace(s.ref, &s).second)
      fields.error(s.field + ".ref", "'" + s.ref + "' names another source already");
  return out;
}

// Whether `a` and `b` are the same revision of the same other Git repository.
bool same_other_repository(const SourceSpec& a, const SourceSpec& b) {
  return !a.own && !b.own && !a.of_chart && !b.of_chart && repository_key(a.repo_url) == repository_key(b.repo_url) &&
         git_ref(a.revision) == git_ref(b.revision);
}

// The ref sources as the rendered source `rendered` reaches their files.
std::map<std::string, RefSource> reach_refs(const SourceSpec& rendered,
                                            const std::map<std::string, const SourceSpec*>& refs) {
  std::map<std::string, RefSource> out;
  for (const auto& [name, ref] : refs) {
    RefReach reach = RefReach::unreachable;
    if (ref->own) reach = rendered.own ? RefReach::same_files : RefReach::parent_files;
    else if (same_other_repository(rendered, *ref)) reach = RefReach::same_files;
    out[name] = {ref->field, reach};
  }
  return out;
}

// What every pipeline of one Application shares: its destination, sync policy and wave.
struct Shared {
  std::string destination_namespace;
  Value sink;
  long wave = 0;
};

std::optional<Shared> shared_keys(ObjectFields& fields, const KubeObject& application, const Value& spec,
                                  const std::vector<ArgocdCluster>& clusters) {
  Shared shared;
  const Value* destination = spec.find("destination");
  const std::string context = destination_context(fields, destination, clusters);
  shared.destination_namespace = fields.string_at(destination, "namespace", "spec.destination.namespace");
  Object sink = sink_keys(fields, spec.find("syncPolicy"));
  if (!shared.destination_namespace.empty()) sink.set("namespace", shared.destination_namespace);
  if (!context.empty()) sink.set("context", context);
  shared.sink = Value(std::move(sink));
  if (const Value* finalizers = application.body.at_path({"metadata", "finalizers"}); finalizers && finalizers->is_array())
    for (const auto& finalizer : finalizers->as_array())
      if (finalizer.is_string() && finalizer.as_string().rfind("resources-finalizer.argocd.argoproj.io", 0) == 0)
        fields.warn("metadata.finalizers", "'" + finalizer.as_string() + "': driftless leaves the objects of a removed "
                                           "Application in place (" + std::string(kArgocdDocs) + ")");
  const auto wave = wave_of(fields, application);
  if (!wave) return std::nullopt;
  shared.wave = *wave;
  return shared;
}

// The pipeline of one rendered source: its files (the parent's, or a source
// of its own) rendered by the tool Argo CD would pick.
std::optional<ApplicationPipeline> source_pipeline(ObjectFields& fields, const Artifact& artifact, const ArgocdSettings& settings,
                                                   const SourceSpec& s, const std::map<std::string, const SourceSpec*>& refs,
                                                   const Shared& shared, const std::string& release) {
  ApplicationPipeline read;
  DeclaredPipeline& pipeline = read.pipeline;
  ToolSource tool{s.block, s.field, nullptr, {}, reach_refs(s, refs), &artifact};
  std::optional<std::string> path = s.chart;
  if (s.of_chart) {
    pipeline.source = chart_source(fields, s.field, s.repo_url, s.chart, s.revision);
    if (!s.path.empty())
      fields.warn(s.field + ".path", "ignored: the Application renders the chart '" + s.chart + "' of its repository");
  } else {
    path = folder(fields, s.field, s.path);
    if (s.own) tool.files = &artifact;
    else pipeline.source = git_source(fields, s.field, s.repo_url, s.revision);
  }
  if (!path || fields.failed()) return std::nullopt;
  tool.path = *path;
  pipeline.path = *path;
  pipeline.renderers = chain(fields, tool, s.of_chart, settings, release, shared.destination_namespace, read.read_folders);
  pipeline.sink = shared.sink;
  read.wave = shared.wave;
  return read;
}

}  // namespace

std::vector<ApplicationPipeline> read_application(const KubeObject& application, const Artifact& artifact,
                                                  const ArgocdSettings& settings, std::vector<Diagnostic>& out) {
  ObjectFields fields(application, out);
  const Value* spec = application.body.find("spec");
  const std::vector<SourceSpec> sources = application_sources(fields, artifact, spec);
  if (fields.failed()) return {};
  fields.warn_unknown(spec, "spec", {"source", "sources", "destination", "project", "syncPolicy", "info"}, kArgocdDocs);
  if (const std::string project = fields.string_at(spec, "project", "spec.project"); !project.empty() && project != "default")
    fields.warn("spec.project", "'" + project + "' is not enforced: the Application gets what its parent pipeline may do (" +
                                    std::string(kArgocdDocs) + ")");
  const auto refs = ref_sources(fields, sources);
  const auto shared = shared_keys(fields, application, *spec, settings.clusters.list);
  if (!shared || fields.failed()) return {};
  const auto rendered = std::count_if(sources.begin(), sources.end(), [](const SourceSpec& s) { return s.rendered; });
  std::vector<ApplicationPipeline> pipelines;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!sources[i].rendered) continue;
    auto read = source_pipeline(fields, artifact, settings, sources[i], refs, *shared, application.name());
    if (!read) continue;
    // Several rendered sources are one pipeline each, named by the source's name or its place in spec.sources.
    const std::string& label = sources[i].label;
    read->pipeline.name = application.name() + (rendered == 1 ? "" : "." + (label.empty() ? std::to_string(i + 1) : label));
    read->pipeline.declared_by = application.id();
    read->pipeline.origin = application.origin;
    pipelines.push_back(std::move(*read));
  }
  if (fields.failed()) return {};
  return pipelines;
}

}  // namespace driftless::renderers
