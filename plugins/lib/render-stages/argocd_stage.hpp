// The "argocd" renderer's work: Argo CD Application objects (argoproj.io/
// v1alpha1) among the objects so far, and those their ApplicationSets
// generate, become declared pipelines (the app-of-apps pattern); AppProject
// objects are taken out too, with a warning or an error. Nothing of them reaches the sink. Shared by the argocd
// and auto plugins; docs/migrating-from-argocd.md says what is read.
#pragma once

#include "driftless/plugin.hpp"
#include "driftless/toolkit/settings.hpp"

namespace driftless::renderers {

struct ArgocdSettings {
  /// Renderer type -> keys laid under the stage of that type of every
  /// declared pipeline ({helm: {helmPath: ...}}), passed on to nested ones.
  Value child_renderers;
};

/// The argocd renderer's config keys, each with the setting it fills.
const SettingsSchema<ArgocdSettings>& argocd_schema();

/// Takes the Argo CD objects out of out.objects and declares a pipeline for
/// each Application (out.pipelines); what is not supported is a warning or an
/// error naming the field and the object.
void read_argocd_objects(const Artifact& artifact, const ArgocdSettings& settings, RenderResult& out);

}  // namespace driftless::renderers
