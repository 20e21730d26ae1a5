// The "helm" renderer's work: `helm template` of a chart that lives in the
// artifact, its values files confined to the artifact, with no network and no
// link out of the chart; dependencies charts/ lacks are built first
// (helm_dependencies.hpp). Shared by the helm and auto plugins.
#pragma once

#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "helm_dependencies.hpp"
#include "tool_stage.hpp"

namespace driftless::renderers {

struct HelmSettings {
  std::string helm_path;     ///< "" = from PATH
  std::string chart;         ///< relative to the artifact root; "" = the rendered folder
  std::string release_name;  ///< "" = the chart folder's name
  std::string namespace_name = "default";
  std::vector<std::string> values_files;  ///< relative to the artifact root, applied in order
  Value values;                           ///< inline values, applied last
  bool include_crds = true;
  bool skip_tests = true;
  std::string kube_version;               ///< used when the sink knows no cluster version
  std::vector<std::string> api_versions;  ///< added to what the sink knows
  ToolLimits limits;
  DependencySettings dependencies;
};

/// The helm renderer's config keys, each with the setting it fills.
const SettingsSchema<HelmSettings>& helm_schema();
/// "helm v3.22.0", or how to install it.
Result<std::string> helm_version(const std::string& configured_path);

/// `overlay` merged into `base` as helm merges values files: maps key by key,
/// anything else (lists, null) replaced.
void merge_into(Value& base, const Value& overlay);

/// True when `folder` (relative to the artifact root) holds a Chart.yaml.
bool is_chart(const Artifact& artifact, const std::string& folder);

/// Renders the chart in `chart_folder` and appends its objects; each names the
/// template it came from (helm's "# Source:" comments) as provenance.
void render_chart(Context& context, const Artifact& artifact, const std::string& chart_folder, const HelmSettings& settings,
                  RenderResult& out);

}  // namespace driftless::renderers
