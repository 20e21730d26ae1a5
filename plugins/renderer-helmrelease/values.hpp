// Helm values of a release, merged the way Flux documents it: every valuesFrom
// entry in order (a whole YAML document merged in, or one value set at
// targetPath), then spec.values on top. Maps merge key by key; anything else
// (lists included) is replaced.
#pragma once

#include <functional>
#include <map>
#include <memory>
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
/// that name, `from_cluster`) and the chart's own values files; false after
/// adding an error to `out`.
bool merge_values(const KubeObject& object, const ReleaseSpec& spec, const RenderIndex& index, const ChartFileReader& chart_file,
                  const ClusterObjectReader& from_cluster, Release& release, std::vector<Diagnostic>& out);

/// What merging a release's values needs when some valuesFrom entry names a
/// ConfigMap or Secret that is not in the render: Flux reads those from the
/// cluster, and so does the release's after-apply step, as the sink's identity,
/// never the renderer. Everything else it names is kept from the render.
struct ValuesInputs {
  KubeObject helm_release;  ///< for messages
  ReleaseSpec spec;         ///< valuesFrom and values
  std::map<std::string, KubeObject> render_objects;       ///< the render's ConfigMaps and Secrets it names, by index key
  std::map<std::string, Result<std::string>> chart_files;  ///< the chart files it names, by path
};

/// True when merging `spec` needs the cluster: a valuesFrom ConfigMap or Secret not in `index`.
bool needs_cluster(const ReleaseSpec& spec, const RenderIndex& index);

/// The inputs of a merge that needs the cluster, taken from the render now.
std::shared_ptr<const ValuesInputs> keep_values_inputs(const KubeObject& object, const ReleaseSpec& spec,
                                                       const RenderIndex& index, const ChartFileReader& chart_file);

/// merge_values() from kept inputs, reading from the cluster what the render
/// did not have; also sets release.digest. False after adding an error to `out`.
bool merge_kept_values(const ValuesInputs& inputs, const ClusterObjectReader& from_cluster, Release& release,
                       std::vector<Diagnostic>& out);

/// What identifies an installed release's content: its chart and merged values.
std::string release_digest(const Release& release);

}  // namespace driftless::helmrelease
