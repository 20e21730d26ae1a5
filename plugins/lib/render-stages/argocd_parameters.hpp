// The parameters an ApplicationSet generator makes for one Application, and
// how they are laid into a template: Argo CD's fasttemplate ({{path.basename}},
// flat dotted names) or Go template mode ({{.path.basename}}, nested), for
// plain parameter references.
#pragma once

#include <map>
#include <string>

#include "driftless/value.hpp"
#include "go_template.hpp"
#include "object_fields.hpp"

namespace driftless::renderers {

struct Parameters {
  Value nested = Object{};                  ///< as Go templates see them
  std::map<std::string, std::string> flat;  ///< as fasttemplate sees them
  Value templ;                              ///< the generator's own template, laid over spec.template (null: none)
};

/// The parameters of one mapping (a list element, a parameter file's entry).
Parameters parameters_of(const Value& mapping);

/// Replaces each {{...}} of every string in `value` (Go template mode when
/// `go`). A reference that names no parameter is an error about `field`
/// when `strict`, else left as it is (a matrix's second generator, filled
/// from the first's parameters, keeps those of the final template). What the
/// parameters add to `value` is bounded (a large parameter used many times
/// is an error, not gigabytes). False after an error.
bool substitute_all(ObjectFields& fields, const std::string& field, bool go, bool strict, const Parameters& parameters,
                    Value& value);

}  // namespace driftless::renderers
