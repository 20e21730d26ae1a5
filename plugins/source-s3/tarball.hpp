// Unpacking the "one .tar.gz in the bucket" layout (a bundle uploaded by CI)
// into a snapshot, defensively: only files, folders and symlinks; no absolute
// paths, no "..", nothing written through a link, no link resolving outside;
// entry count and unpacked size capped (gzip bombs stop at the cap).
#pragma once

#include <cstdint>
#include <string>

#include "driftless/result.hpp"
#include "driftless/toolkit/snapshot.hpp"

namespace driftless::s3 {

/// Unpacks `archive` (gzip-compressed tar bytes, named `name` in messages)
/// into `writer`. Any refused entry fails the whole archive with a message
/// naming the entry.
Result<void> unpack_tarball(const std::string& archive, const std::string& name, SnapshotWriter& writer,
                            std::uint64_t max_entries, std::uint64_t max_bytes);

/// True when `key` names a gzip-compressed tarball (.tar.gz or .tgz).
bool is_tarball(const std::string& key);

}  // namespace driftless::s3
