// source "s3": the objects below a prefix of an S3-compatible bucket (AWS,
// MinIO, ...), or the one .tar.gz found there, as a read-only snapshot. The
// revision is a SHA-256 over the sorted (key, ETag) list, so a poll of an
// unchanged bucket costs the listing requests and downloads nothing.
#include <algorithm>
#include <fstream>
#include <map>

#include <driftless/export.hpp>
#include <driftless/toolkit/files.hpp>
#include <driftless/toolkit/hash.hpp>
#include <driftless/toolkit/snapshot.hpp>

#include "s3_client.hpp"
#include "s3_spec.hpp"
#include "tarball.hpp"

namespace {

using namespace driftless;
using namespace driftless::s3;
namespace fs = std::filesystem;

std::string listing_digest(const std::vector<ObjectInfo>& objects) {
  Sha256 h;
  for (const auto& o : objects) h.update(o.key + '\0' + o.etag + '\n');
  return h.hex();
}

// The (key, ETag) list of each snapshot is kept beside it, in listings/<digest>,
// so the next fetch knows which objects it already has.
void save_listing(const fs::path& file, const std::vector<ObjectInfo>& objects) {
  std::ofstream out(file, std::ios::binary);
  for (const auto& o : objects) out << o.key << '\0' << o.etag << '\0';
}

std::map<std::string, std::string> load_listing(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file, std::ios::binary);
  std::string key, etag;
  while (std::getline(in, key, '\0') && std::getline(in, etag, '\0')) out[key] = etag;
  return out;
}

// Listings whose snapshot was pruned go too.
void prune_listings(const fs::path& listings, const fs::path& snapshots) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(listings, ec))
    if (!fs::exists(snapshots / entry.path().filename(), ec)) fs::remove(entry.path(), ec);
}

// The last artifact: objects listed there with the same ETag are linked, not downloaded.
struct Baseline {
  fs::path root;
  std::map<std::string, std::string> etags;  ///< key -> ETag
};

class S3Source : public Source {
 public:
  explicit S3Source(S3Spec spec) : spec_(std::move(spec)) {}

  Result<Artifact> fetch(Context& context, const Artifact* previous) override {
    auto client = S3Client::create(spec_);
    if (!client.ok()) return client.error();
    const fs::path folder = context.cache_dir() / "buckets" / sha256_hex(spec_.endpoint + "\n" + spec_.bucket + "\n" + spec_.prefix).substr(0, 16);
    auto lock = FolderLock::acquire(folder, context.deadline());
    if (!lock.ok()) return lock.error();
    auto objects = (*client)->list(context);
    if (!objects.ok()) return objects.error();
    if (objects->empty())
      return fail(ErrorCode::not_found, "bucket '" + spec_.bucket + "' holds no objects below '" + spec_.prefix +
                                            "' at " + spec_.endpoint + "; nothing is applied (an empty source never prunes)");
    std::sort(objects->begin(), objects->end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    const std::string digest = listing_digest(*objects);
    const std::string revision = "sha256:" + digest;
    if (previous && previous->revision == revision) {
      context.logger().debug("bucket unchanged", {{"revision", revision}});
      return *previous;
    }
    const fs::path snapshots = folder / "snapshots";
    const fs::path listings = folder / "listings";
    std::error_code ec;
    fs::create_directories(snapshots, ec);
    fs::create_directories(listings, ec);
    auto root = find_snapshot(snapshots, digest);
    if (!root) {
      Baseline baseline;
      if (previous && previous->revision.rfind("sha256:", 0) == 0) {
        baseline.root = previous->root;
        baseline.etags = load_listing(listings / previous->revision.substr(7));
      }
      auto written = download(**client, *objects, snapshots, digest, baseline, context);
      if (!written.ok()) return written.error();
      root = *written;
      save_listing(listings / digest, *objects);
    }
    Artifact artifact;
    artifact.revision = revision;
    artifact.root = *root;
    artifact.folder_ids = hash_folders(*root);
    artifact.metadata["endpoint"] = spec_.endpoint;
    artifact.metadata["bucket"] = spec_.bucket;
    artifact.metadata["prefix"] = spec_.prefix;
    artifact.metadata["objects"] = std::to_string(objects->size());
    if (unpack_archive(*objects)) artifact.metadata["archive"] = objects->front().key;
    std::set<fs::path> in_use{artifact.root};
    if (previous) in_use.insert(previous->root);
    prune_snapshots(snapshots, spec_.keep_snapshots, in_use);
    prune_listings(listings, snapshots);
    context.logger().info("fetched", {{"bucket", spec_.bucket}, {"revision", revision}, {"objects", std::to_string(objects->size())}});
    return artifact;
  }

 private:
  bool unpack_archive(const std::vector<ObjectInfo>& objects) const {
    return spec_.archive == ArchiveMode::always ||
           (spec_.archive == ArchiveMode::automatic && objects.size() == 1 && is_tarball(objects.front().key));
  }

  Result<fs::path> download(S3Client& client, const std::vector<ObjectInfo>& objects, const fs::path& snapshots,
                            const std::string& id, const Baseline& baseline, Context& context) {
    std::uint64_t total = 0;
    for (const auto& o : objects) total += o.size;
    if (total > spec_.max_total_bytes)
      return fail(ErrorCode::invalid_input, "the objects below '" + spec_.prefix + "' hold " + std::to_string(total) +
                                                " bytes, more than maxTotalSize (" + std::to_string(spec_.max_total_bytes) + ")");
    SnapshotWriter writer(snapshots, id);
    const bool archive = unpack_archive(objects);
    if (archive && (objects.size() != 1 || !is_tarball(objects.front().key)))
      return fail(ErrorCode::invalid_input, "archive: always needs exactly one .tar.gz or .tgz object below '" + spec_.prefix +
                                                "' (found " + std::to_string(objects.size()) + " objects)");
    std::vector<ObjectInfo> wanted;
    for (const auto& object : objects) {
      const std::string relative = object.key.substr(spec_.prefix.size());
      auto before = baseline.etags.find(object.key);
      const bool same = !archive && before != baseline.etags.end() && before->second == object.etag;
      if (!same || !writer.link_file(relative, baseline.root / relative).ok()) wanted.push_back(object);
    }
    if (wanted.size() < objects.size())
      context.logger().debug("unchanged objects linked from the last snapshot",
                             {{"linked", std::to_string(objects.size() - wanted.size())}, {"downloaded", std::to_string(wanted.size())}});
    auto stored = client.download(wanted, context, [&](const ObjectInfo& object, std::string&& body) -> Result<void> {
      if (archive)
        return unpack_tarball(body, "archive '" + object.key + "'", writer, {spec_.max_objects, "maxObjects", spec_.max_total_bytes, "maxTotalSize"});
      auto r = writer.write_file(object.key.substr(spec_.prefix.size()), body);
      if (!r.ok()) return fail(ErrorCode::invalid_input, "object '" + object.key + "' refused: " + r.error().message);
      return {};
    });
    if (!stored.ok()) return stored.error();
    return commit_unpacked(writer, "archive '" + objects.front().key + "'");
  }

  S3Spec spec_;
};

class S3SourceFactory : public SourceFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return s3_schema().keys(); }
  Result<std::unique_ptr<Source>> create(const Value& config) const override {
    auto spec = parse_s3_spec(config);
    if (!spec.ok()) return spec.error();
    return std::unique_ptr<Source>(std::make_unique<S3Source>(std::move(*spec)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(S3SourceFactory, "s3", "source", "0.1.0",
                 "Objects (or one .tar.gz) below a prefix of an S3-compatible bucket, SigV4-signed")
