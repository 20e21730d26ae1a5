// Commits as read-only snapshots (see driftless/toolkit/snapshot.hpp): the tree is
// written out once per commit into snapshots/<commit>/. Folder content ids are
// the Git tree ids, so equal ids mean equal content.
#pragma once

#include <git2.h>

#include <filesystem>
#include <map>
#include <string>

#include "driftless/context.hpp"
#include "driftless/result.hpp"

namespace driftless::git {

using FolderIds = std::map<std::string, std::string>;

/// Tree ids of every folder of `commit` ("" = root, "a/b"), read from the
/// mirror without touching files.
Result<FolderIds> folder_ids(git_repository* repository, const git_commit* commit);

/// An earlier snapshot whose unchanged files are hard-linked instead of
/// written again, so a commit that touches one file writes one file.
struct Baseline {
  const git_commit* commit = nullptr;
  std::filesystem::path root;
};

/// snapshots/<commit id>, written unless it is already there; fills `ids`.
/// Symlinks that resolve outside the snapshot and submodules are left out
/// (with a warning). An ErrorCode::internal error means the mirror is damaged.
Result<std::filesystem::path> materialize(git_repository* repository, const git_commit* commit,
                                          const std::filesystem::path& snapshots, FolderIds& ids, Logger& logger,
                                          const Baseline& baseline = {});

}  // namespace driftless::git
