// source "oci": an OCI artifact of manifests in a container registry, as
// `flux push artifact` makes it (or a Helm chart, by layer media type),
// followed by tag, semver range or digest, its layer verified and unpacked
// (or copied) into a read-only snapshot. The revision is Flux's,
// "<tag>@sha256:<manifest digest>", so a poll of an unchanged tag costs one
// manifest request and downloads nothing.
#include <driftless/export.hpp>
#include <driftless/toolkit/files.hpp>
#include <driftless/toolkit/hash.hpp>
#include <driftless/toolkit/snapshot.hpp>

#include "oci_spec.hpp"
#include "registry_client.hpp"
#include "tarball.hpp"

namespace {

using namespace driftless;
using namespace driftless::oci;
namespace fs = std::filesystem;

// The last segment of the repository: "manifests" of "org/manifests".
std::string short_name(const OciUrl& url) { return url.repository.substr(url.repository.rfind('/') + 1); }

class OciSource : public Source {
 public:
  explicit OciSource(OciSpec spec) : spec_(std::move(spec)) {}

  Result<Artifact> fetch(Context& context, const Artifact* previous) override {
    auto credentials = read_credentials(spec_.auth, spec_.url.host);
    if (!credentials.ok()) return credentials.error();
    RegistryClient client(spec_, std::move(*credentials), context);
    auto tag = resolve_tag(client);
    if (!tag.ok()) return tag.error();
    auto manifest = client.manifest(tag->empty() ? spec_.ref.value : *tag);
    if (!manifest.ok()) return manifest.error();
    const std::string revision = (tag->empty() ? "" : *tag + "@") + manifest->digest;
    if (previous && previous->revision == revision) {
      context.logger().debug("artifact unchanged", {{"revision", revision}});
      return *previous;
    }
    // One folder per repository and layer choice; one snapshot per manifest digest.
    const std::string selection = spec_.layer.media_type + (spec_.layer.operation == LayerOperation::copy ? "\ncopy" : "\nextract");
    const fs::path folder = context.cache_dir() / "oci" / sha256_hex(spec_.url.text + "\n" + selection).substr(0, 16);
    auto lock = FolderLock::acquire(folder, context.deadline());
    if (!lock.ok()) return lock.error();
    const fs::path snapshots = folder / "snapshots";
    const std::string id = manifest->digest.substr(7);
    auto root = find_snapshot(snapshots, id);
    auto layer = select_layer(*manifest);
    if (!layer.ok()) return layer.error();
    if (!root) {
      auto written = store(client, *layer, folder, id);
      if (!written.ok()) return written.error();
      root = *written;
    }
    Artifact artifact;
    artifact.revision = revision;
    artifact.root = *root;
    artifact.folder_ids = hash_folders(*root);
    artifact.metadata["url"] = spec_.url.text;
    artifact.metadata["digest"] = manifest->digest;
    artifact.metadata["layer"] = layer->digest;
    artifact.metadata["layerMediaType"] = layer->media_type;
    if (!tag->empty()) artifact.metadata["tag"] = *tag;
    // What `flux push artifact` records about where the files came from.
    for (const auto& [annotation, key] : {std::pair{"org.opencontainers.image.source", "source"},
                                          {"org.opencontainers.image.revision", "sourceRevision"},
                                          {"org.opencontainers.image.created", "date"}})
      if (auto found = manifest->annotations.find(annotation); found != manifest->annotations.end())
        artifact.metadata[key] = found->second;
    std::set<fs::path> in_use{artifact.root};
    if (previous) in_use.insert(previous->root);
    prune_snapshots(snapshots, spec_.keep_snapshots, in_use);
    context.logger().info("fetched", {{"url", spec_.url.text}, {"revision", revision}});
    return artifact;
  }

 private:
  // The tag to read: as configured, the highest in the semver range, or "" for a digest.
  Result<std::string> resolve_tag(RegistryClient& client) const {
    if (spec_.ref.kind == RefKind::tag) return spec_.ref.value;
    if (spec_.ref.kind == RefKind::digest) return std::string();
    auto tags = client.tags();
    if (!tags.ok()) return tags.error();
    auto best = highest_match(*spec_.ref.range, *tags);
    if (!best)
      return fail(ErrorCode::not_found, "no tag of " + spec_.url.text + " is a version in the range '" + spec_.ref.value +
                                            "' (" + std::to_string(tags->size()) + " tags)");
    return (*tags)[*best];
  }

  Result<Descriptor> select_layer(const Manifest& manifest) const {
    if (spec_.layer.media_type.empty()) return manifest.layers.front();
    for (const auto& layer : manifest.layers)
      if (layer.media_type == spec_.layer.media_type) return layer;
    std::string found;
    for (const auto& layer : manifest.layers) found += (found.empty() ? "" : ", ") + layer.media_type.substr(0, 100);
    return fail(ErrorCode::not_found, spec_.url.text + "@" + manifest.digest + " has no layer of media type " +
                                          spec_.layer.media_type + " (layerSelector.mediaType); its layers: " + found);
  }

  // Downloads the layer beside the snapshots and unpacks or copies it into a new one.
  Result<fs::path> store(RegistryClient& client, const Descriptor& layer, const fs::path& folder, const std::string& id) const {
    if (layer.size > spec_.max_total_bytes)
      return fail(ErrorCode::invalid_input, "layer " + layer.digest + " of " + spec_.url.text + " is " +
                                                std::to_string(layer.size) + " bytes, more than maxTotalSize (" +
                                                std::to_string(spec_.max_total_bytes) + "); nothing was downloaded");
    const fs::path blob = folder / ("download-" + id);
    struct Cleanup {
      fs::path file;
      ~Cleanup() {
        std::error_code ec;
        fs::remove(file, ec);
      }
    } cleanup{blob};
    if (auto downloaded = client.download(layer, blob); !downloaded.ok()) return downloaded.error();
    SnapshotWriter writer(folder / "snapshots", id);
    const std::string name = "layer " + layer.digest + " of " + spec_.url.text;
    if (spec_.layer.operation == LayerOperation::copy) {
      // The downloaded file itself, linked in (it lies beside the snapshots): never read into memory.
      std::error_code ec;
      fs::permissions(blob, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read, ec);
      if (auto linked = writer.link_file(short_name(spec_.url) + ".tgz", blob); !linked.ok()) return linked.error();
    } else if (auto unpacked = unpack_tarball_file(blob, name, writer, {spec_.max_entries, "maxEntries", spec_.max_total_bytes, "maxTotalSize"});
               !unpacked.ok()) {
      return unpacked.error();
    }
    return commit_unpacked(writer, name);
  }

  OciSpec spec_;
};

class OciSourceFactory : public SourceFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return oci_schema().keys(); }
  Result<std::unique_ptr<Source>> create(const Value& config) const override {
    auto spec = parse_oci_spec(config);
    if (!spec.ok()) return spec.error();
    return std::unique_ptr<Source>(std::make_unique<OciSource>(std::move(*spec)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(OciSourceFactory, "oci", "source", "0.1.0",
                 "An OCI artifact of manifests in a container registry (flux push artifact), by tag, semver or digest")
