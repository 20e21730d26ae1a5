// Read-only snapshots for source plugins: a tree is written into a temporary
// folder, checked (no path or symlink leads outside it), made read-only and
// renamed into place, so a half-written snapshot is never seen. Sources keep
// one folder per revision under their cache and prune the old ones.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/result.hpp"

namespace driftless {

/// Builds `snapshots/<id>`. Paths given to it are relative, '/'-separated, and
/// are refused when absolute, when they contain "." or ".." parts, or when they
/// would be written through a symlink: nothing lands outside the snapshot.
class SnapshotWriter {
 public:
  /// Starts `snapshots/.tmp-<id>` (clearing a leftover one).
  SnapshotWriter(std::filesystem::path snapshots, std::string id);
  /// Removes the temporary folder unless commit() succeeded.
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  /// Writes a new file (parent folders created as needed), read-only at once.
  Result<void> write_file(std::string_view relative, std::string_view content, bool executable = false);
  /// Adds `existing` (a file of an earlier, read-only snapshot with the same
  /// content) as a hard link instead of a copy: no new inode, no data written.
  /// An error when linking is impossible (another file system): write instead.
  Result<void> link_file(std::string_view relative, const std::filesystem::path& existing);
  /// Creates a folder (and its parents); an existing folder is fine.
  Result<void> make_directory(std::string_view relative);
  /// Creates a symlink; where it points is checked by commit().
  Result<void> make_symlink(std::string_view relative, const std::string& target);

  /// Removes every symlink that resolves outside the snapshot or to nothing
  /// (their relative paths go to `removed_links`), makes the tree read-only
  /// and moves it to `snapshots/<id>`.
  Result<std::filesystem::path> commit(std::vector<std::string>& removed_links);

 private:
  Result<std::filesystem::path> checked(std::string_view relative, bool create_parents);

  std::filesystem::path snapshots_;
  std::string id_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

/// `snapshots/<id>` when a complete snapshot is there (its time is refreshed so
/// pruning keeps it), else nullopt.
std::optional<std::filesystem::path> find_snapshot(const std::filesystem::path& snapshots, const std::string& id);

/// Deletes all but the `keep` most recently used snapshots (and leftovers of
/// interrupted writes), never one in `in_use`.
void prune_snapshots(const std::filesystem::path& snapshots, int keep, const std::set<std::filesystem::path>& in_use);

/// An exclusive lock (flock) on a folder's "lock" file, held until destroyed;
/// it serializes fetches of one source across threads and processes.
class FolderLock {
 public:
  /// Waits for the lock until `deadline` (then ErrorCode::timeout); creates the folder.
  static Result<std::unique_ptr<FolderLock>> acquire(const std::filesystem::path& folder,
                                                     std::chrono::steady_clock::time_point deadline);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// Deletes a tree that may hold read-only folders.
void remove_read_only_tree(const std::filesystem::path& root);

}  // namespace driftless
