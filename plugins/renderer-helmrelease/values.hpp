// Helm values of a release, merged the way Flux documents it: every valuesFrom
// entry in order (a whole YAML document merged in, or one value set at
// targetPath), then spec.values on top. Maps merge key by key; anything else
// (lists included) is replaced.
#pragma once

#include <functional>
#include <vector>

#include "release_spec.hpp"

namespace driftless::helmrelease {

/// The text of a file of the release's chart by its path in the chart.
using ChartFileReader = std::function<Result<std::string>(const std::string& path)>;

/// A ConfigMap or Secret ("ConfigMap", namespace, name) read from the cluster;
/// an Error with ErrorCode::not_found when it does not exist there.
using ClusterObjectReader =
    std::function<Result<KubeObject>(const std::string& kind, const std::string& namespace_name, const std::string& name)>;

/// Fills release.values and release.secret_texts from `spec`, the
/// ConfigMaps and Secrets of the render (or, when the render has none of
/// that name, of the cluster) and the chart's own values files; false after
/// adding an error to `out`.
bool merge_values(const KubeObject& object, const ReleaseSpec& spec, const RenderIndex& index, const ChartFileReader& chart_file,
                  const ClusterObjectReader& from_cluster, Release& release, std::vector<Diagnostic>& out);

/// `overlay` merged into `base`: maps recursively, everything else replaced.
void merge_into(Value& base, const Value& overlay);

}  // namespace driftless::helmrelease
