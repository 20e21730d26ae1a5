// The helm-chart source's config block as plain data: the Helm repository
// (an http(s):// URL with an index.yaml, as `helm repo add` takes it), the
// chart, the version or range to follow, credentials, and the bounds of what
// is read.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "driftless/config.hpp"
#include "driftless/result.hpp"
#include "driftless/toolkit/secrets.hpp"
#include "driftless/toolkit/settings.hpp"
#include "driftless/value.hpp"

namespace driftless::helm_chart {

struct ChartSpec {
  std::string url;            ///< the repository, without index.yaml
  std::string chart;          ///< the chart's name in the index
  std::string version = "*";  ///< a semver range, or one exact version
  BasicAuth auth;             ///< sent only to the repository's own origin
  bool exact = false;         ///< `version` names one version: once fetched, it is never looked up again
  std::chrono::milliseconds timeout{60000};
  std::uint64_t max_index_bytes = 50ull << 20;
  std::uint64_t max_chart_bytes = 10ull << 20;
  std::uint64_t max_total_bytes = 100ull << 20;
  std::uint64_t max_entries = 10000;
  int keep_snapshots = 3;
};

/// The config keys of the helm-chart source, each with the part of ChartSpec it fills.
const SettingsSchema<ChartSpec>& chart_schema();

/// Builds a ChartSpec from a validated config block; errors name the key.
Result<ChartSpec> parse_chart_spec(const Value& config);

}  // namespace driftless::helm_chart
