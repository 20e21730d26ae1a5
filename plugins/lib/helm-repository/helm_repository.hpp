// A Helm chart repository over HTTP(S), as `helm repo add` reads one: its
// index.yaml (bounded in size), the highest chart version in a semver range,
// and the chart archive, checked against the digest the index gives. Basic
// auth goes only to the repository's own origin unless the caller passes it
// on. Every message names URLs with their credentials redacted.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "driftless/result.hpp"
#include "driftless/toolkit/http.hpp"
#include "driftless/value.hpp"

namespace driftless::charts {

/// How to reach one repository.
struct RepositoryAccess {
  std::string url;                 ///< the repository, http(s)://, without index.yaml
  std::string username;            ///< basic auth; empty = anonymous
  std::string password;            ///< secret: never in a message
  bool pass_credentials = false;   ///< also send them to chart URLs on other hosts
  std::chrono::milliseconds timeout{60'000};
  std::function<bool()> cancelled;  ///< stops a download when it says so
};

/// One chart version as the index lists it.
struct IndexedChart {
  std::string name;
  std::string version;
  std::string digest;  ///< sha256 hex of the archive; "" when the index gives none
  std::string url;     ///< the archive's absolute http(s) URL
};

/// The repository's index.yaml, parsed; at most `max_bytes` are read.
Result<Value> fetch_index(HttpClient& http, const RepositoryAccess& access, std::size_t max_bytes);

/// The highest version of `chart` in `index` that `range` (a semver range,
/// "*" for any, or one exact version) accepts.
Result<IndexedChart> pick_chart(const Value& index, const std::string& repository, const std::string& chart,
                                const std::string& range);

/// The archive of `chart` (at most `max_bytes`); its digest is checked
/// against the index's and filled in when the index gave none.
Result<std::string> download_chart(HttpClient& http, const RepositoryAccess& access, IndexedChart& chart,
                                   std::size_t max_bytes);

}  // namespace driftless::charts
