// Writing a set of files all or nothing: each new content goes first to a
// temporary file beside its target and is synced to disk; only when every
// one of them is written are they renamed into place. A failure before that
// (a full disk, a folder in the way) leaves every target as it was and no
// temporary behind.
#pragma once

#include <sys/types.h>

#include <driftless/result.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace driftless::dir_sink {

class StagedWrites {
 public:
  StagedWrites() = default;
  /// Removes what was staged but not committed (temporaries, folders made for them).
  ~StagedWrites();
  StagedWrites(const StagedWrites&) = delete;
  StagedWrites& operator=(const StagedWrites&) = delete;

  /// Writes `content` to a temporary beside `file`, created with `mode`
  /// (less the umask), creating missing folders (mode 0777 less the umask).
  Result<void> stage(const std::filesystem::path& file, const std::string& content, mode_t mode);
  /// Renames every staged temporary over its target and syncs their folders.
  Result<void> commit();

 private:
  struct Staged {
    std::filesystem::path temporary;
    std::filesystem::path target;
  };
  std::vector<Staged> staged_;
  std::vector<std::filesystem::path> made_folders_;  ///< in creation order
};

/// One file written the same way: the old content or the new, never a mix.
Result<void> write_atomically(const std::filesystem::path& file, const std::string& content, mode_t mode);

}  // namespace driftless::dir_sink
