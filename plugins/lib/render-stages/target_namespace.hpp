// A Flux Kustomization's targetNamespace without running kustomize, where
// kustomize's namespace transformer would only set metadata.namespace: the
// flux layout's common case (Deployments, Services, ConfigMaps, custom
// resources), which otherwise costs one kustomize process per pipeline.
// Anything else kustomize changes or checks when it moves objects to a
// namespace is left to kustomize; tests/plugins/renderer-overlay proves the
// two equal on the objects this path takes.
#pragma once

#include <string>
#include <vector>

#include "driftless/object.hpp"

namespace driftless::renderers {

/// Sets `namespace_name` as metadata.namespace of every namespaced object of
/// `objects` (kinds nobody knows count as namespaced, as in kustomize) and
/// returns true; returns false, the objects untouched, when one of them needs
/// kustomize: a kind whose namespace reaches other fields (a Namespace, role
/// binding subjects, webhook services), a cluster-scoped kind kustomize may
/// not know, a List, an object without apiVersion, kind or name, kustomize's
/// own annotations, or two objects that would share an id.
bool set_namespace_as_kustomize_would(std::vector<KubeObject>& objects, const std::string& namespace_name);

}  // namespace driftless::renderers
