// Unpacking a gzip-compressed tarball (a bundle uploaded by CI, an OCI
// artifact's layer) into a snapshot, defensively: only files, folders and
// symlinks; no absolute paths, no "..", nothing written through a link, no
// link resolving outside; entry count and unpacked size capped (gzip bombs
// stop at the cap).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "driftless/result.hpp"
#include "driftless/toolkit/snapshot.hpp"

namespace driftless {

/// The bounds of one unpacking, with the config keys that set them (for messages).
struct TarballLimits {
  std::uint64_t max_entries = 10000;
  std::string entries_key = "maxObjects";
  std::uint64_t max_bytes = 512ull << 20;
  std::string bytes_key = "maxTotalSize";
};

/// Unpacks `archive` (gzip-compressed tar bytes, named `name` in messages)
/// into `writer`. Any refused entry fails the whole archive with a message
/// naming the entry.
Result<void> unpack_tarball(const std::string& archive, const std::string& name, SnapshotWriter& writer,
                            const TarballLimits& limits);

/// The same for an archive in a file, read piece by piece (never whole in memory).
Result<void> unpack_tarball_file(const std::filesystem::path& archive, const std::string& name, SnapshotWriter& writer,
                                 const TarballLimits& limits);

/// Commits what an archive `name` was unpacked into; a symlink that points
/// outside the archive or to nothing fails the whole archive (the committed
/// tree is removed again).
Result<std::filesystem::path> commit_unpacked(SnapshotWriter& writer, const std::string& name);

/// True when `key` names a gzip-compressed tarball (.tar.gz or .tgz).
bool is_tarball(const std::string& key);

}  // namespace driftless
