// The Docker Registry HTTP API v2 calls an OCI artifact needs, over the SDK
// HTTP client: the tag list (all pages), a manifest (capped, its digest
// computed from the bytes), a blob streamed to a file (size and sha256
// checked). A 401 is answered once with the challenge's credentials or
// bearer token; redirects (registries send blobs from storage elsewhere) are
// followed a few times, never from https to http, and the registry's
// credentials never go to another host.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driftless/context.hpp"
#include "driftless/toolkit/http.hpp"
#include "oci_spec.hpp"
#include "registry_auth.hpp"

namespace driftless::oci {

/// A blob a manifest names.
struct Descriptor {
  std::string media_type;
  std::string digest;  ///< "sha256:<64 hex>"
  std::uint64_t size = 0;
};

struct Manifest {
  std::string digest;  ///< "sha256:<hex>" of the manifest's bytes
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

/// Most bytes of a manifest, and of one page of the tag list.
inline constexpr std::size_t kMaxManifestBytes = 4u << 20;

class RegistryClient {
 public:
  RegistryClient(const OciSpec& spec, std::optional<Credentials> credentials, Context& context);

  /// Every tag of the repository.
  Result<std::vector<std::string>> tags();
  /// The manifest of a tag or digest; an image index is an error.
  Result<Manifest> manifest(const std::string& reference);
  /// Streams `blob` into `file` and checks its size and digest.
  Result<void> download(const Descriptor& blob, const std::filesystem::path& file);

 private:
  // Restarts a streamed body (a retry after 401 or a redirect), then takes its pieces.
  struct Sink {
    std::function<void()> restart;
    std::function<bool(std::string_view)> take;
  };
  Result<HttpResponse> get(std::string url, const std::vector<std::pair<std::string, std::string>>& headers,
                           std::size_t max_bytes, Sink* sink = nullptr);
  Result<void> authenticate(const HttpResponse& refused);
  HttpRequest request(const std::string& url) const;
  Error describe(const HttpResponse& response, const std::string& body, const std::string& what) const;

  const OciSpec& spec_;
  std::optional<Credentials> credentials_;
  Context& context_;
  HttpClient http_;
  std::string origin_;         ///< "https://host:port"
  std::string base_;           ///< origin_ + "/v2/" + repository
  std::string authorization_;  ///< secret: the Authorization header for origin_
};

/// The parsed manifest `body` (with `digest`); errors name `where`.
Result<Manifest> parse_manifest(const std::string& body, const std::string& digest, const std::string& where);

}  // namespace driftless::oci
