// The oci source's config block as plain data: the repository of an OCI
// registry, the tag, version range or digest to follow, credentials (names of
// files and variables only; secrets are read at fetch time), which layer to
// take and how, and the limits of what is downloaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "driftless/config.hpp"
#include "driftless/result.hpp"
#include "driftless/toolkit/secrets.hpp"
#include "driftless/toolkit/semver.hpp"
#include "driftless/toolkit/settings.hpp"
#include "driftless/value.hpp"

namespace driftless::oci {

/// The media type of the one layer `flux push artifact` makes.
inline constexpr const char* kFluxContentType = "application/vnd.cncf.flux.content.v1.tar+gzip";

/// oci://host[:port]/repository, split.
struct OciUrl {
  std::string text;        ///< as configured
  std::string host;        ///< "ghcr.io", "127.0.0.1:5000"
  std::string repository;  ///< "org/manifests"
};

/// True for "sha256:" and 64 lowercase hex digits, the only digests accepted.
bool is_sha256_digest(const std::string& s);

/// Parses oci://host[:port]/path; user info, tags and digests in the URL are refused.
Result<OciUrl> parse_oci_url(const std::string& url);

enum class RefKind { tag, semver, digest };

struct OciRef {
  RefKind kind = RefKind::tag;
  std::string value = "latest";      ///< tag, range text or "sha256:<64 hex>"
  std::optional<SemVerRange> range;  ///< for semver
};

/// Where credentials come from: a Docker config.json, or a user name with a
/// password in a file or a variable. Absent: anonymous (with the bearer
/// tokens registries hand out to anyone for public repositories).
struct OciAuth {
  BasicAuth basic;
  std::string docker_config_file;
};

enum class LayerOperation { extract, copy };

struct LayerSelector {
  std::string media_type;  ///< "" = the first layer
  LayerOperation operation = LayerOperation::extract;
};

struct OciSpec {
  OciUrl url;
  OciRef ref;
  bool insecure = false;  ///< plain http
  OciAuth auth;
  LayerSelector layer;
  std::chrono::milliseconds timeout{60000};
  std::uint64_t max_total_bytes = 512ull << 20;
  std::uint64_t max_entries = 10000;
  int keep_snapshots = 3;
};

/// The config keys of the oci source, each with the part of OciSpec it fills.
const SettingsSchema<OciSpec>& oci_schema();

/// Builds an OciSpec from a validated config block; errors name the key.
Result<OciSpec> parse_oci_spec(const Value& config);

}  // namespace driftless::oci
