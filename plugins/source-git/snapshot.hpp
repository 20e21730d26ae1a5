// Read-only snapshots of commits: the tree written out once per commit into
// snapshots/<commit>/ (files 0444/0555, folders 0555), built in a temporary
// folder and renamed into place so a half-written snapshot is never used.
// Folder content ids are the Git tree ids, so equal ids mean equal content.
#pragma once

#include <git2.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "driftless/context.hpp"
#include "driftless/result.hpp"

namespace driftless::git {

using FolderIds = std::map<std::string, std::string>;

/// Tree ids of every folder of `commit` ("" = root, "a/b"), read from the
/// mirror without touching files.
Result<FolderIds> folder_ids(git_repository* repository, const git_commit* commit);

/// snapshots/<commit id>, written unless it is already there; fills `ids`.
/// Symlinks that point outside the snapshot and submodules are left out
/// (with a warning). Errors reading objects mean the mirror is damaged.
Result<std::filesystem::path> materialize(git_repository* repository, const git_commit* commit,
                                          const std::filesystem::path& snapshots, FolderIds& ids, Logger& logger);

/// Deletes all but the `keep` most recently used snapshots; never one in `in_use`.
void prune_snapshots(const std::filesystem::path& snapshots, int keep, const std::set<std::filesystem::path>& in_use);

}  // namespace driftless::git
