#include "driftless/toolkit/snapshot.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace driftless {

namespace fs = std::filesystem;

namespace {

constexpr char temp_prefix[] = ".tmp-";

// Files are created with their final modes; only folders change mode: 0755
// while written, 0555 once committed (children before parents).
void set_folder_modes(const fs::path& root, bool writable) {
  std::error_code ec;
  std::vector<fs::path> dirs{root};
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (!it->is_symlink(ec) && it->is_directory(ec)) dirs.push_back(it->path());
  if (!writable) std::reverse(dirs.begin(), dirs.end());
  for (const auto& d : dirs) ::chmod(d.c_str(), writable ? 0755 : 0555);
}

bool inside(const fs::path& root, const fs::path& candidate) {
  auto r = root.begin();
  auto c = candidate.begin();
  for (; r != root.end(); ++r, ++c)
    if (c == candidate.end() || *r != *c) return false;
  return true;
}

}  // namespace

void remove_read_only_tree(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(root, ec))) return;
  set_folder_modes(root, true);
  fs::remove_all(root, ec);
}

SnapshotWriter::SnapshotWriter(fs::path snapshots, std::string id)
    : snapshots_(std::move(snapshots)), id_(std::move(id)), temp_(snapshots_ / (temp_prefix + id_)) {
  remove_read_only_tree(temp_);
  std::error_code ec;
  fs::create_directories(temp_, ec);
}

SnapshotWriter::~SnapshotWriter() {
  if (!committed_) remove_read_only_tree(temp_);
}

Result<fs::path> SnapshotWriter::checked(std::string_view relative, bool create_parents) {
  const std::string text(relative);
  if (text.empty() || text[0] == '/') return fail(ErrorCode::invalid_input, "'" + text + "' is not a relative path");
  fs::path path = temp_;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('/', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    if (part.empty() || part == "." || part == "..")
      return fail(ErrorCode::invalid_input, "'" + text + "' has an empty, '.' or '..' part; it would not stay inside the snapshot");
    path /= part;
    const bool last = end == text.size();
    struct stat s {};
    const bool exists = ::lstat(path.c_str(), &s) == 0;
    if (exists && S_ISLNK(s.st_mode) && !last)
      return fail(ErrorCode::invalid_input, "'" + text + "' would be written through the symlink '" + text.substr(0, end) + "'");
    if (!last) {
      if (exists && !S_ISDIR(s.st_mode))
        return fail(ErrorCode::invalid_input, "'" + text + "' needs '" + text.substr(0, end) + "' to be a folder, but it is a file");
      if (!exists && create_parents && ::mkdir(path.c_str(), 0755) != 0)
        return fail(ErrorCode::internal, "cannot create folder " + path.string() + ": " + std::strerror(errno));
    }
    start = end + 1;
  }
  return path;
}

Result<void> SnapshotWriter::write_file(std::string_view relative, std::string_view content, bool executable) {
  auto path = checked(relative, true);
  if (!path.ok()) return path.error();
  // Read-only from the start: the open descriptor may write, nobody else can.
  int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0555 : 0444);
  if (fd < 0)
    return fail(errno == EEXIST ? ErrorCode::invalid_input : ErrorCode::internal,
                "cannot create '" + std::string(relative) + "': " + std::strerror(errno));
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n <= 0) {
      ::close(fd);
      return fail(ErrorCode::internal, "cannot write '" + std::string(relative) + "' (disk full?)");
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

Result<void> SnapshotWriter::link_file(std::string_view relative, const fs::path& existing) {
  auto path = checked(relative, true);
  if (!path.ok()) return path.error();
  struct stat s {};
  if (::lstat(existing.c_str(), &s) != 0 || !S_ISREG(s.st_mode))
    return fail(ErrorCode::internal, existing.string() + " is not a regular file to link");
  if (::link(existing.c_str(), path->c_str()) != 0)
    return fail(ErrorCode::internal, "cannot link '" + std::string(relative) + "': " + std::strerror(errno));
  return {};
}

Result<void> SnapshotWriter::make_directory(std::string_view relative) {
  auto path = checked(relative, true);
  if (!path.ok()) return path.error();
  struct stat s {};
  if (::lstat(path->c_str(), &s) == 0) {
    if (S_ISDIR(s.st_mode)) return {};
    return fail(ErrorCode::invalid_input, "'" + std::string(relative) + "' exists and is not a folder");
  }
  if (::mkdir(path->c_str(), 0755) != 0) return fail(ErrorCode::internal, "cannot create folder '" + std::string(relative) + "'");
  return {};
}

Result<void> SnapshotWriter::make_symlink(std::string_view relative, const std::string& target) {
  auto path = checked(relative, true);
  if (!path.ok()) return path.error();
  if (::symlink(target.c_str(), path->c_str()) != 0)
    return fail(ErrorCode::invalid_input, "cannot create symlink '" + std::string(relative) + "': " + std::strerror(errno));
  return {};
}

Result<fs::path> SnapshotWriter::commit(std::vector<std::string>& removed_links) {
  std::error_code ec;
  const fs::path root = fs::canonical(temp_, ec);
  if (ec) return fail(ErrorCode::internal, "snapshot folder " + temp_.string() + " vanished");
  // The kernel's own resolution decides: a link whose full resolution leaves
  // the snapshot (or finds nothing) goes, whatever its text looks like.
  std::vector<fs::path> links;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_symlink(ec)) links.push_back(it->path());
  for (const auto& link : links) {
    fs::path resolved = fs::canonical(link, ec);
    if (ec || !inside(root, resolved)) {
      removed_links.push_back(link.lexically_relative(root).generic_string());
      fs::remove(link, ec);
    }
  }
  set_folder_modes(root, false);
  const fs::path final_dir = snapshots_ / id_;
  if (::rename(temp_.c_str(), final_dir.c_str()) != 0) {
    if (auto existing = find_snapshot(snapshots_, id_)) return *existing;  // another writer was faster
    return fail(ErrorCode::internal, "cannot move the snapshot into " + final_dir.string() + ": " + std::strerror(errno));
  }
  committed_ = true;
  return final_dir;
}

std::optional<fs::path> find_snapshot(const fs::path& snapshots, const std::string& id) {
  const fs::path dir = snapshots / id;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  ::utimensat(AT_FDCWD, dir.c_str(), nullptr, 0);  // most recently used
  return dir;
}

void prune_snapshots(const fs::path& snapshots, int keep, const std::set<fs::path>& in_use) {
  std::vector<std::pair<fs::file_time_type, fs::path>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots, ec)) {
    if (entry.path().filename().string().rfind(temp_prefix, 0) == 0) {
      remove_read_only_tree(entry.path());  // left by an interrupted write
      continue;
    }
    found.emplace_back(fs::last_write_time(entry.path(), ec), entry.path());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < found.size(); ++i)
    if (!in_use.count(found[i].second)) remove_read_only_tree(found[i].second);
}

Result<std::unique_ptr<FolderLock>> FolderLock::acquire(const fs::path& folder, std::chrono::steady_clock::time_point deadline) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  int fd = ::open((folder / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::internal, "cannot open " + (folder / "lock").string() + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::close(fd);
      return fail(ErrorCode::timeout, "another fetch kept " + folder.string() + " locked until the deadline");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::unique_ptr<FolderLock>(new FolderLock(fd));
}

FolderLock::~FolderLock() { ::close(fd_); }  // releases the flock

}  // namespace driftless
