#include "argocd_application.hpp"

#include <algorithm>
#include <filesystem>

#include "object_fields.hpp"
#include "argocd_tools.hpp"
#include "driftless/toolkit/files.hpp"
#include "helm_stage.hpp"
#include "kustomize_stage.hpp"
#include "repository_url.hpp"

namespace driftless::renderers {
namespace {

// The pipeline's repository as the source names it ("" when it names none: a path or bucket source).
void check_repository(ObjectFields& fields, const Artifact& artifact, const std::string& repo_url) {
  const auto url = artifact.metadata.find("url");
  if (url == artifact.metadata.end()) {
    fields.warn("spec.source.repoURL", "the pipeline's source is not a Git repository, so '" + repo_url +
                                           "' cannot be compared with it; the pipeline's own source is used");
    return;
  }
  if (repository_key(url->second) != repository_key(repo_url))
    fields.error("spec.source.repoURL", "'" + repo_url + "' is not the pipeline's own repository (" + url->second +
                                            "); Applications from other repositories are not supported yet (" + kArgocdDocs + ")");
}

// Argo CD's targetRevision against the revision the parent renders ("main@sha1:<id>").
void check_revision(ObjectFields& fields, const Artifact& artifact, std::string wanted) {
  if (wanted.empty() || wanted == "HEAD") return;
  for (const char* prefix : {"refs/heads/", "refs/tags/"})
    if (wanted.rfind(prefix, 0) == 0) wanted = wanted.substr(std::string(prefix).size());
  const auto at = artifact.revision.find('@');
  const std::string label = at == std::string::npos ? std::string() : artifact.revision.substr(0, at);
  const auto commit = artifact.metadata.find("commit");
  const bool same_commit = commit != artifact.metadata.end() && wanted.size() >= 7 && commit->second.rfind(wanted, 0) == 0;
  if (wanted != label && !same_commit)
    fields.warn("spec.source.targetRevision", "'" + wanted + "' is not what the pipeline tracks; its revision " +
                                                  artifact.revision + " is used (" + kArgocdDocs + ")");
}

// The folder as the core names it: '/'-separated, "" for the root, never above it.
std::optional<std::string> folder(ObjectFields& fields, const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    fields.error("spec.source.path", "'" + path + "' must be relative to the repository root");
    return std::nullopt;
  }
  auto out = join_inside("", path);
  if (!out) fields.error("spec.source.path", "'" + path + "' leads out of the repository");
  return out;
}

// The kubeconfig context of spec.destination ("" = the parent's cluster).
// Argo CD names its clusters in Secrets; driftless never reads them, so a
// destination.name is a context of the parent sink's own kubeconfig, one the
// operator offers in its declaredContexts.
std::string destination_context(ObjectFields& fields, const Value* destination) {
  fields.warn_unknown(destination, "spec.destination", {"server", "name", "namespace"}, kArgocdDocs);
  const std::string server = fields.string_at(destination, "server", "spec.destination.server");
  const std::string name = fields.string_at(destination, "name", "spec.destination.name");
  if (!server.empty() && !name.empty()) {
    fields.error("spec.destination", "names both a server and a cluster name; name one (as Argo CD requires)");
  } else if (server.empty() && name.empty()) {
    fields.error("spec.destination", "names no cluster (server or name)");
  } else if (name.empty() && server != "https://kubernetes.default.svc" && server != "https://kubernetes.default.svc/") {
    fields.error("spec.destination.server", "'" + server + "' is not the pipeline's own cluster "
                 "(https://kubernetes.default.svc); name another cluster with destination.name, a context of the "
                 "pipeline's kubeconfig that its kube sink lists in declaredContexts (" + kArgocdDocs + ")");
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

// The tool Argo CD would render the folder with, then the argocd stage for Applications it holds.
std::vector<PluginUse> chain(ObjectFields& fields, const Artifact& artifact, const ArgocdSettings& settings, const Value& source,
                             const std::string& path, const std::string& name, const std::string& destination_namespace) {
  const Value* helm = source.find("helm");
  const Value* kustomize = source.find("kustomize");
  const Value* directory = source.find("directory");
  if ((helm ? 1 : 0) + (kustomize ? 1 : 0) + (directory ? 1 : 0) > 1)
    fields.error("spec.source", "sets more than one of helm, kustomize and directory (as Argo CD, driftless needs one)");
  std::vector<PluginUse> out;
  if (helm || (!kustomize && !directory && is_chart(artifact, path))) {
    out.push_back(stage(settings, "helm", helm_stage_keys(fields, artifact, helm, path, name, destination_namespace)));
  } else if (kustomize || (!directory && !kustomization_file(artifact, path).empty())) {
    out.push_back(stage(settings, "kustomize", {}));
    if (Object keys = overlay_stage_keys(fields, kustomize); !keys.empty()) out.push_back(stage(settings, "overlay", std::move(keys)));
  } else {
    out.push_back(stage(settings, "yaml", yaml_stage_keys(fields, directory)));
  }
  Object nested;
  if (settings.child_renderers.is_object() && !settings.child_renderers.as_object().empty())
    nested.set("childStageKeys", settings.child_renderers);
  out.push_back(stage(settings, "argocd", std::move(nested)));
  return out;
}

}  // namespace

std::optional<ApplicationPipeline> read_application(const KubeObject& application, const Artifact& artifact,
                                                    const ArgocdSettings& settings, std::vector<Diagnostic>& out) {
  ObjectFields fields(application, out);
  ApplicationPipeline read;
  DeclaredPipeline& pipeline = read.pipeline;
  pipeline.name = application.name();
  pipeline.declared_by = application.id();
  pipeline.origin = application.origin;
  const Value* spec = application.body.find("spec");
  const Value* source = spec ? spec->find("source") : nullptr;
  if (spec && spec->find("sources")) fields.error("spec.sources", "multi-source Applications are not supported yet (" + std::string(kArgocdDocs) + ")");
  else if (!source || !source->is_object()) fields.error("spec.source", "is missing; it names the folder to deploy");
  if (fields.failed()) return std::nullopt;
  fields.warn_unknown(spec, "spec", {"source", "sources", "destination", "project", "syncPolicy", "info"}, kArgocdDocs);
  fields.warn_unknown(source, "spec.source", {"repoURL", "path", "targetRevision", "helm", "kustomize", "directory", "chart", "plugin"}, kArgocdDocs);
  if (source->find("chart"))
    fields.error("spec.source.chart", "charts from a Helm repository are not supported yet; only folders of the pipeline's own repository");
  if (source->find("plugin")) fields.error("spec.source.plugin", "config management plugins are not supported");
  if (const std::string project = fields.string_at(spec, "project", "spec.project"); !project.empty() && project != "default")
    fields.warn("spec.project", "'" + project + "' is not enforced: the Application gets what its parent pipeline may do (" +
                                    std::string(kArgocdDocs) + ")");
  check_repository(fields, artifact, fields.string_at(source, "repoURL", "spec.source.repoURL"));
  check_revision(fields, artifact, fields.string_at(source, "targetRevision", "spec.source.targetRevision"));
  const auto path = folder(fields, fields.string_at(source, "path", "spec.source.path"));
  const Value* destination = spec->find("destination");
  const std::string context = destination_context(fields, destination);
  const std::string destination_namespace = fields.string_at(destination, "namespace", "spec.destination.namespace");
  Object sink = sink_keys(fields, spec->find("syncPolicy"));
  if (!destination_namespace.empty()) sink.set("namespace", destination_namespace);
  if (!context.empty()) sink.set("context", context);
  if (const Value* finalizers = application.body.at_path({"metadata", "finalizers"}); finalizers && finalizers->is_array())
    for (const auto& finalizer : finalizers->as_array())
      if (finalizer.is_string() && finalizer.as_string().rfind("resources-finalizer.argocd.argoproj.io", 0) == 0)
        fields.warn("metadata.finalizers", "'" + finalizer.as_string() + "': driftless leaves the objects of a removed "
                                           "Application in place (" + std::string(kArgocdDocs) + ")");
  const auto wave = wave_of(fields, application);
  if (!path || !wave || fields.failed()) return std::nullopt;
  pipeline.path = *path;
  pipeline.renderers = chain(fields, artifact, settings, *source, *path, pipeline.name, destination_namespace);
  pipeline.sink = Value(std::move(sink));
  read.wave = *wave;
  if (fields.failed()) return std::nullopt;
  return read;
}

}  // namespace driftless::renderers
