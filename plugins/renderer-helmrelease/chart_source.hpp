// Fetching charts: from an HTTP(S) Helm repository (index.yaml, bounded in
// size, basic auth, the highest version in a semver range, archives checked
// against the index's digest), from an OCI registry (pulled with the real
// helm) or from a folder of a Git repository (through the core's git source). Charts are kept in the plugin's cache by digest, so
// an unchanged chart is never downloaded twice.
#pragma once

#include <map>
#include <memory>

#include "driftless/toolkit/http.hpp"
#include "driftless/toolkit/process.hpp"
#include "release.hpp"

namespace driftless::helmrelease {

struct ChartLimits {
  std::size_t max_index_bytes = std::size_t{50} << 20;  ///< Flux's default index limit
  std::size_t max_chart_bytes = std::size_t{10} << 20;
  std::size_t max_helm_memory = ProcessSpec{}.max_memory;  ///< of `helm pull`
};

/// Fetches the charts of one render; repository indexes and Git trees are
/// fetched once per render however many releases use them.
class ChartFetcher {
 public:
  /// `helm_path`: the helm binary OCI charts are pulled with ("" = from PATH).
  ChartFetcher(Context& context, ChartLimits limits, std::string helm_path);
  ChartFetcher(const ChartFetcher&) = delete;
  ChartFetcher& operator=(const ChartFetcher&) = delete;

  /// The chart on local disk; the error says what to fix (never a credential).
  Result<ResolvedChart> fetch(const ChartRequest& request);
  /// A file of a fetched chart by its path in the chart (valuesFiles,
  /// chartFileRef); ErrorCode::not_found when the chart has no such file.
  Result<std::string> chart_file(const ResolvedChart& chart, const std::string& path);

 private:
  Result<ResolvedChart> from_repository(const ChartRequest& request);
  Result<ResolvedChart> from_git(const ChartRequest& request);
  Result<ResolvedChart> from_oci(const ChartRequest& request);

  Context& context_;
  ChartLimits limits_;
  std::string helm_path_;
  std::filesystem::path cache_;
  std::unique_ptr<HttpClient> http_;
  std::map<std::string, Value> indexes_;     ///< by repository URL
  std::map<std::string, Artifact> git_trees_;  ///< by URL and ref
};

}  // namespace driftless::helmrelease
