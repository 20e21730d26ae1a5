// The "argocd" renderer's work: Argo CD Application objects (argoproj.io/
// v1alpha1) among the objects so far, and those their ApplicationSets
// generate, become declared pipelines (the app-of-apps pattern); AppProject
// objects are taken out too, with a warning or an error. Nothing of them reaches the sink. Shared by the argocd
// and auto plugins; docs/migrating-from-argocd.md says what is read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/settings.hpp"

namespace driftless::renderers {

/// One cluster of Argo CD's cluster list, as the config describes it:
/// driftless never reads Argo CD's cluster Secrets.
struct ArgocdCluster {
  std::string name;    ///< a context of the kube sink's kubeconfig (declaredContexts), or in-cluster
  std::string server;  ///< the URL Argo CD knew it by ("": not given)
  std::string project;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

struct ArgocdClusters {
  Value given;  ///< as configured, passed on to nested stages
  std::vector<ArgocdCluster> list;
};

struct ArgocdSettings {
  /// Renderer type -> keys laid under the stage of that type of every
  /// declared pipeline ({helm: {helmPath: ...}}), passed on to nested ones.
  Value child_renderers;
  /// What the clusters generator lists and destination.server names.
  ArgocdClusters clusters;
};

/// The argocd renderer's config keys, each with the setting it fills.
const SettingsSchema<ArgocdSettings>& argocd_schema();

/// Takes the Argo CD objects out of out.objects and declares a pipeline for
/// each Application (out.pipelines); what is not supported is a warning or an
/// error naming the field and the object.
void read_argocd_objects(const Artifact& artifact, const ArgocdSettings& settings, RenderResult& out);

}  // namespace driftless::renderers
