// The "substitute" renderer's work: Flux's postBuild variable substitution
// (spec.postBuild.substitute) on the objects of the earlier stages, with the
// expression language of envsubst.hpp. Flux substitutes the YAML text of each
// object and reads it back; driftless substitutes every string (mapping keys
// included) of the object's tree and reads a changed string back as YAML
// would read it unquoted (so `replicas: ${count}` becomes a number), except
// where Kubernetes only takes strings.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/settings.hpp"

namespace driftless::renderers {

struct SubstituteSettings {
  std::map<std::string, std::string> variables;  ///< names checked, newlines removed (as Flux)
  bool strict = false;                           ///< an unset variable without a default is an error
  bool always = false;                           ///< substitute even with no variables (substituteStrategy: Always)
  std::size_t max_output = std::size_t{64} * 1024 * 1024;
};

/// The substitute renderer's config keys, each with the field it fills.
const SettingsSchema<SubstituteSettings>& substitute_schema();

/// Substitutes the variables in every object of `out` that is not labelled or
/// annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`. A bad
/// expression, an unset variable in strict mode or output over max_output is
/// an error naming the object, its file and line; that object is left as it was.
void substitute_variables(const SubstituteSettings& settings, RenderResult& out);

}  // namespace driftless::renderers
