// Helm values of a release, merged the way Flux documents it: every valuesFrom
// entry in order (a whole YAML document merged in, or one value set at
// targetPath), then spec.values on top. Maps merge key by key; anything else
// (lists included) is replaced.
#pragma once

#include <vector>

#include "release_spec.hpp"

namespace driftless::helmrelease {

/// Fills release.values and release.secret_texts from `spec` and the
/// ConfigMaps and Secrets of the render; false after adding an error to `out`.
bool merge_values(const KubeObject& object, const ReleaseSpec& spec, const RenderIndex& index, Release& release,
                  std::vector<Diagnostic>& out);

/// `overlay` merged into `base`: maps recursively, everything else replaced.
void merge_into(Value& base, const Value& overlay);

}  // namespace driftless::helmrelease
