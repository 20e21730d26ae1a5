#include "argocd_stage.hpp"

#include <map>
#include <set>

#include "argocd_application.hpp"
#include "argocd_application_set.hpp"
#include "object_fields.hpp"

namespace driftless::renderers {
namespace {

Result<Value> renderer_blocks(const std::string& key, const Value& given) {
  if (given.is_null()) return Value(Object{});
  bool blocks = given.is_object();
  for (const auto& [type, block] : blocks ? given.as_object() : Object{}) blocks = blocks && block.is_object();
  if (!blocks) return fail(ErrorCode::invalid_input, key + " must map renderer types to config blocks ({helm: {helmPath: ...}})");
  return given;
}

// The `clusters` key: a list of {name, server, project, labels, annotations}.
Result<ArgocdClusters> cluster_list(const std::string& key, const Value& given) {
  ArgocdClusters out{given, {}};
  if (given.is_null()) return out;
  const auto invalid = [&](const std::string& why) {
    return fail(ErrorCode::invalid_input, key + ": " + why + " (each cluster is {name, server, project, labels, annotations})");
  };
  if (!given.is_array()) return invalid("must be a list of clusters");
  std::set<std::string> names, servers;
  for (const auto& entry : given.as_array()) {
    if (!entry.is_object()) return invalid("each cluster must be a mapping");
    ArgocdCluster cluster;
    for (const auto& [field, value] : entry.as_object()) {
      if (field == "name" || field == "server" || field == "project") {
        if (!value.is_string()) return invalid(field + " must be a string");
        (field == "name" ? cluster.name : field == "server" ? cluster.server : cluster.project) = value.as_string();
      } else if (field == "labels" || field == "annotations") {
        if (!value.is_object()) return invalid(field + " must map names to strings");
        for (const auto& [name, text] : value.as_object()) {
          if (!text.is_string()) return invalid(field + "." + name + " must be a string");
          (field == "labels" ? cluster.labels : cluster.annotations)[name] = text.as_string();
        }
      } else {
        return invalid("unknown field '" + field + "'");
      }
    }
    if (cluster.name.empty()) return invalid("each cluster needs a name, a context of the kube sink's declaredContexts");
    if (!names.insert(cluster.name).second) return invalid("'" + cluster.name + "' is listed twice");
    if (!cluster.server.empty() && !servers.insert(cluster.server).second)
      return invalid("the server '" + cluster.server + "' is listed twice");
    out.list.push_back(std::move(cluster));
  }
  return out;
}

// Applications of a higher wave wait for those of the nearest lower one (and
// so, transitively, for every lower wave), as Argo CD syncs an app of apps.
void order_waves(std::vector<ApplicationPipeline>& applications) {
  std::map<long, std::vector<std::string>> names;
  for (const auto& application : applications) names[application.wave].push_back(application.pipeline.name);
  for (auto& application : applications) {
    auto wave = names.find(application.wave);
    if (wave != names.begin()) application.pipeline.depends_on = std::prev(wave)->second;
  }
}

}  // namespace

const SettingsSchema<ArgocdSettings>& argocd_schema() {
  static const auto schema = SettingsSchema<ArgocdSettings>().key(
      ConfigKey("childStageKeys", ConfigType::any,
                "Keys laid under each renderer stage of the pipelines Applications declare, by renderer type "
                "({helm: {helmPath: /opt/helm}}); nested Applications get them too.")
          .default_to(Object{}),
      &ArgocdSettings::child_renderers, renderer_blocks)
      .key(ConfigKey("clusters", ConfigType::any,
                     "Argo CD's cluster list, which driftless does not read from Argo CD's Secrets: "
                     "[{name, server, project, labels, annotations}]. The clusters generator lists them (and in-cluster), "
                     "and a destination.server of one of them means its name. Each name must be a context the kube "
                     "sink offers in declaredContexts; nested Applications get them too.")
               .default_to(Array{}),
           &ArgocdSettings::clusters, cluster_list);
  return schema;
}

void read_argocd_objects(const Artifact& artifact, const ArgocdSettings& settings, RenderResult& out) {
  std::vector<KubeObject> kept;
  std::vector<ApplicationPipeline> applications;
  for (auto& object : out.objects) {
    const std::string kind = object.kind();
    if (object.group() != "argoproj.io" || (kind != "Application" && kind != "AppProject" && kind != "ApplicationSet")) {
      kept.push_back(std::move(object));
      continue;
    }
    ObjectFields fields(object, out.diagnostics);
    if (kind == "Application") {
      for (auto& read : read_application(object, artifact, settings, out.diagnostics)) applications.push_back(std::move(read));
    } else if (kind == "ApplicationSet") {
      for (const auto& generated : generate_applications(object, artifact, settings.clusters.list, out.diagnostics))
        for (auto& read : read_application(generated, artifact, settings, out.diagnostics)) applications.push_back(std::move(read));
    } else if (object.name() == "default") {
      fields.warn("", "not applied: driftless has no projects, and the default project restricts nothing "
                      "(docs/migrating-from-argocd.md#projects)");
    } else {
      fields.error("", "AppProject is refused: driftless does not enforce projects, so its restrictions would be lost; "
                       "give the pipeline a sink identity with those permissions instead (docs/migrating-from-argocd.md#projects)");
    }
  }
  out.objects = std::move(kept);
  order_waves(applications);
  for (auto& application : applications) {
    out.read_folders.insert(out.read_folders.end(), application.read_folders.begin(), application.read_folders.end());
    out.pipelines.push_back(std::move(application.pipeline));
  }
}

}  // namespace driftless::renderers
