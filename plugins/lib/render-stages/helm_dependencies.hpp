// A chart's dependencies (Chart.yaml `dependencies`) that its charts/ folder
// lacks, built as `helm dependency build` builds them, by the real helm: in a
// private copy of the chart (the artifact stays read-only), with private
// repository, registry and cache folders, downloads capped in size, and
// `file://` dependencies confined to the artifact. The built charts/ is kept
// in the plugin's cache by the digest of Chart.lock and the dependency list,
// so a chart is built once and rendered again without network.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/settings.hpp"
#include "tool_stage.hpp"

namespace driftless::renderers {

struct DependencySettings {
  bool build = true;  ///< false: a dependency missing from charts/ is an error (no network)
  /// How long dependencies resolved without a Chart.lock (version ranges) are reused.
  std::chrono::milliseconds refresh{std::chrono::minutes(10)};
  std::uintmax_t max_download = std::uintmax_t{50} << 20;  ///< largest file helm may write (an index, an archive)
  std::vector<std::string> plain_http_registries;         ///< OCI registries (host:port) reached over plain HTTP
};

/// The keys "buildDependencies", "dependencyRefresh", "maxDependencySize" and
/// "plainHttpRegistries", each with the field it fills.
const SettingsSchema<DependencySettings>& dependency_schema();

/// What helm should template for the chart in `chart_folder` (relative to the
/// artifact root): the chart itself when charts/ holds every dependency, else
/// a copy in `scratch` whose charts/ was built (or taken from the cache).
/// nullopt after adding an error naming Chart.yaml, its line, the dependency
/// and its URL to `out`; adds what it read to out.read_folders and limits
/// out.valid_for when version ranges were resolved over the network.
std::optional<std::filesystem::path> chart_with_dependencies(Context& context, const Artifact& artifact,
                                                             const std::string& chart_folder, const std::filesystem::path& helm,
                                                             const ToolLimits& limits, const DependencySettings& settings,
                                                             const ScratchDir& scratch, RenderResult& out);

}  // namespace driftless::renderers
