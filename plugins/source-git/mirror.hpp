// The persistent state of one repository in the plugin's cache directory:
//   <cache>/repos/<sha256(url)[:16]>/mirror.git   bare mirror, fetched incrementally
//   <cache>/repos/<...>/snapshots/<commit>/        read-only checkouts (see snapshot.hpp)
//   <cache>/repos/<...>/lock                       flock: one fetch at a time, across processes
#pragma once

#include <git2.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "driftless/result.hpp"
#include "driftless/toolkit/snapshot.hpp"

namespace driftless::git {

class Mirror {
 public:
  /// Locks the repository's folder (waiting until `deadline`) and opens its
  /// bare mirror, creating it when missing and re-creating it when it cannot be
  /// opened. `recreated` tells that a damaged mirror was thrown away.
  static Result<std::unique_ptr<Mirror>> open(const std::filesystem::path& cache_dir, const std::string& url,
                                              std::chrono::steady_clock::time_point deadline, bool& recreated);
  ~Mirror();
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  git_repository* repository() const { return repository_; }
  /// Throws the mirror away and starts an empty one (after damage was found).
  Result<void> recreate();
  /// Every incremental fetch adds a pack file, and lookups slow down as packs
  /// pile up: past a threshold, all objects reachable from refs are written
  /// into one new pack and the others are deleted. Returns how many packs
  /// were merged (0 when below the threshold).
  Result<int> compact();
  /// Folder of the read-only snapshots.
  std::filesystem::path snapshots() const { return folder_ / "snapshots"; }

 private:
  Mirror(std::filesystem::path folder, std::unique_ptr<FolderLock> lock) : folder_(std::move(folder)), lock_(std::move(lock)) {}
  Result<void> open_or_init();

  std::filesystem::path folder_;
  std::unique_ptr<FolderLock> lock_;
  git_repository* repository_ = nullptr;
};

}  // namespace driftless::git
