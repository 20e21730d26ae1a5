// A CustomResourceDefinition reduced to what the API server needs to serve
// another project's kind in a test (Flux's HelmRelease, Kustomization): one
// served and stored version, namespaced, any fields, with the status
// subresource that the kind's controller (or driftless) writes.
#pragma once

#include <string>

namespace driftless::test {

/// The CRD of `kind` (plural `plural`) in `group` at `version`, as YAML.
inline std::string status_crd(const std::string& group, const std::string& kind, const std::string& plural,
                              const std::string& version) {
  return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + plural + "." + group +
         "\nspec:\n  group: " + group + "\n  names: {kind: " + kind + ", plural: " + plural +
         "}\n  scope: Namespaced\n  versions:\n    - name: " + version +
         "\n      served: true\n      storage: true\n      subresources: {status: {}}\n      schema:\n"
         "        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n";
}

}  // namespace driftless::test
