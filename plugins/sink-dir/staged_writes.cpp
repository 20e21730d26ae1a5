#include "staged_writes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace driftless::dir_sink {
namespace fs = std::filesystem;

namespace {

Error io_error(const std::string& what, const fs::path& path, int error) {
  return fail(ErrorCode::unavailable, "cannot " + what + " " + path.string() + ": " + std::strerror(error));
}

// Writes and syncs `file`; 0 or the errno of what failed.
int write_synced(const fs::path& file, const std::string& content, mode_t mode) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return errno;
  int error = 0;
  for (std::size_t done = 0; done < content.size() && !error;) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n >= 0) done += static_cast<std::size_t>(n);
    else if (errno != EINTR) error = errno;
  }
  if (!error && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && !error) error = errno;
  return error;
}

// A rename is durable only once its folder is synced.
void sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

StagedWrites::~StagedWrites() {
  std::error_code ec;
  for (const auto& s : staged_) fs::remove(s.temporary, ec);
  for (auto folder = made_folders_.rbegin(); folder != made_folders_.rend(); ++folder) fs::remove(*folder, ec);
}

Result<void> StagedWrites::stage(const fs::path& file, const std::string& content, mode_t mode) {
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path folder = file.parent_path(); !folder.empty() && !fs::exists(fs::symlink_status(folder, ec));
       folder = folder.parent_path())
    missing.push_back(folder);
  for (auto folder = missing.rbegin(); folder != missing.rend(); ++folder) {
    // Another pipeline's sink may make the same folder at the same moment
    // (sinks at out/ and out/fixed): a folder that exists now is fine.
    if (fs::create_directory(*folder, ec)) made_folders_.push_back(*folder);
    else if (ec || !fs::is_directory(*folder, ec)) return io_error("create the folder", *folder, ec ? ec.value() : EEXIST);
  }
  if (fs::is_directory(fs::symlink_status(file, ec)))
    return fail(ErrorCode::invalid_input, "cannot write " + file.string() + ": a folder is in the way");
  fs::path temporary = file.parent_path() / ("." + file.filename().string() + ".driftless-tmp");
  staged_.push_back({temporary, file});
  if (const int error = write_synced(temporary, content, mode)) return io_error("write", file, error);
  return {};
}

Result<void> StagedWrites::commit() {
  std::set<fs::path> folders;
  while (!staged_.empty()) {
    const Staged s = staged_.back();
    if (::rename(s.temporary.c_str(), s.target.c_str()) != 0) return io_error("replace", s.target, errno);
    staged_.pop_back();
    folders.insert(s.target.parent_path());
  }
  made_folders_.clear();
  for (const auto& folder : folders) sync_folder(folder);
  return {};
}

Result<void> write_atomically(const fs::path& file, const std::string& content, mode_t mode) {
  StagedWrites write;
  if (auto staged = write.stage(file, content, mode); !staged.ok()) return staged;
  return write.commit();
}

}  // namespace driftless::dir_sink
