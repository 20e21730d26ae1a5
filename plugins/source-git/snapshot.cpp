#include "snapshot.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace driftless::git {
namespace {

namespace fs = std::filesystem;

std::string hex(const git_oid* id) {
  char out[GIT_OID_HEXSZ + 1];
  git_oid_tostr(out, sizeof out, id);
  return out;
}

Error damaged(const std::string& what) {
  const git_error* e = git_error_last();
  return fail(ErrorCode::internal, "the mirror is missing or cannot read " + what + ": " +
                                       (e && e->message ? e->message : "unknown libgit2 error"));
}

// A symlink is kept only when its target, taken from the link's folder, stays inside the snapshot.
bool link_stays_inside(const std::string& folder, const std::string& target) {
  if (target.empty() || target[0] == '/') return false;
  fs::path resolved = (fs::path(folder) / target).lexically_normal();
  return resolved.empty() || *resolved.begin() != "..";
}

Result<void> write_file(const fs::path& file, const git_blob* blob, bool executable) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, executable ? 0555 : 0444);
  if (fd < 0) return fail(ErrorCode::internal, "cannot create " + file.string());
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob));
  auto size = static_cast<std::size_t>(git_blob_rawsize(blob));
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n <= 0) {
      ::close(fd);
      return fail(ErrorCode::internal, "cannot write " + file.string() + " (disk full?)");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

// Walks `tree`, recording folder ids; writes files below `out` when it is not null.
Result<void> walk(git_repository* repository, const git_tree* tree, const std::string& folder, const fs::path* out,
                  FolderIds& ids, Logger& logger) {
  ids[folder] = hex(git_tree_id(tree));
  const size_t count = git_tree_entrycount(tree);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
    const std::string name = git_tree_entry_name(entry);
    const std::string path = folder.empty() ? name : folder + "/" + name;
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      logger.warn("tree entry with an unsafe name left out", {{"path", path}});
      continue;
    }
    const git_object_t type = git_tree_entry_type(entry);
    if (type == GIT_OBJECT_TREE) {
      git_tree* child = nullptr;
      if (git_tree_lookup(&child, repository, git_tree_entry_id(entry)) < 0) return damaged("folder " + path);
      Result<void> r;
      if (out) {
        fs::path dir = *out / name;
        if (::mkdir(dir.c_str(), 0755) != 0) r = fail(ErrorCode::internal, "cannot create " + dir.string());
        if (r.ok()) r = walk(repository, child, path, &dir, ids, logger);
        ::chmod(dir.c_str(), 0555);
      } else {
        r = walk(repository, child, path, nullptr, ids, logger);
      }
      git_tree_free(child);
      if (!r.ok()) return r;
    } else if (type == GIT_OBJECT_BLOB && out) {
      git_blob* blob = nullptr;
      if (git_blob_lookup(&blob, repository, git_tree_entry_id(entry)) < 0) return damaged("file " + path);
      Result<void> r;
      const git_filemode_t mode = git_tree_entry_filemode(entry);
      if (mode == GIT_FILEMODE_LINK) {
        std::string target(static_cast<const char*>(git_blob_rawcontent(blob)), static_cast<std::size_t>(git_blob_rawsize(blob)));
        if (link_stays_inside(folder, target)) {
          if (::symlink(target.c_str(), (*out / name).c_str()) != 0) r = fail(ErrorCode::internal, "cannot create symlink " + path);
        } else {
          logger.warn("symlink pointing outside the repository left out", {{"path", path}, {"target", target}});
        }
      } else {
        r = write_file(*out / name, blob, mode == GIT_FILEMODE_BLOB_EXECUTABLE);
      }
      git_blob_free(blob);
      if (!r.ok()) return r;
    } else if (type == GIT_OBJECT_COMMIT) {
      logger.debug("submodule left out", {{"path", path}});
    }
  }
  return {};
}

void make_writable(const fs::path& root) {
  std::error_code ec;
  ::chmod(root.c_str(), 0755);
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0755);
}

void remove_tree(const fs::path& root) {
  make_writable(root);
  std::error_code ec;
  fs::remove_all(root, ec);
}

}  // namespace

Result<FolderIds> folder_ids(git_repository* repository, const git_commit* commit) {
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) < 0) return damaged("the commit's tree");
  FolderIds ids;
  // Only trees are read here; nothing is written, so nothing is worth logging.
  struct QuietLogger : Logger {
    void log(LogLevel, std::string_view, const LogFields&) override {}
  } quiet;
  auto r = walk(repository, tree, "", nullptr, ids, quiet);
  git_tree_free(tree);
  if (!r.ok()) return r.error();
  return ids;
}

Result<fs::path> materialize(git_repository* repository, const git_commit* commit, const fs::path& snapshots, FolderIds& ids,
                             Logger& logger) {
  const std::string id = hex(git_commit_id(commit));
  const fs::path final_dir = snapshots / id;
  std::error_code ec;
  if (fs::is_directory(final_dir, ec)) {
    auto found = folder_ids(repository, commit);
    if (!found.ok()) return found.error();
    ids = std::move(*found);
    ::utimensat(AT_FDCWD, final_dir.c_str(), nullptr, 0);  // most recently used
    return final_dir;
  }
  const fs::path temp = snapshots / (".tmp-" + id);
  remove_tree(temp);
  if (::mkdir(temp.c_str(), 0755) != 0) return fail(ErrorCode::internal, "cannot create " + temp.string());
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) < 0) {
    remove_tree(temp);
    return damaged("the commit's tree");
  }
  ids.clear();
  auto r = walk(repository, tree, "", &temp, ids, logger);
  git_tree_free(tree);
  if (r.ok() && ::chmod(temp.c_str(), 0555) == 0 && ::rename(temp.c_str(), final_dir.c_str()) == 0) return final_dir;
  remove_tree(temp);
  if (!r.ok()) return r.error();
  return fail(ErrorCode::internal, "cannot move the snapshot into " + final_dir.string());
}

void prune_snapshots(const fs::path& snapshots, int keep, const std::set<fs::path>& in_use) {
  std::vector<std::pair<fs::file_time_type, fs::path>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots, ec)) {
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0) {
      remove_tree(entry.path());  // left by a crash; we hold the lock
      continue;
    }
    found.emplace_back(fs::last_write_time(entry.path(), ec), entry.path());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < found.size(); ++i)
    if (!in_use.count(found[i].second)) remove_tree(found[i].second);
}

}  // namespace driftless::git
