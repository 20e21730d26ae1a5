#include "snapshot.hpp"

#include "driftless/toolkit/snapshot.hpp"

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

// What a walk writes into, and what it may link from.
struct Output {
  SnapshotWriter& writer;
  const fs::path& baseline_root;
};

// The same file (same blob, same mode) in the baseline's tree, when there is one.
bool unchanged(const git_tree_entry* entry, const git_tree* baseline) {
  if (!baseline) return false;
  const git_tree_entry* before = git_tree_entry_byname(baseline, git_tree_entry_name(entry));
  return before && git_tree_entry_filemode(before) == git_tree_entry_filemode(entry) &&
         git_tree_entry_filemode(entry) != GIT_FILEMODE_LINK && git_oid_equal(git_tree_entry_id(before), git_tree_entry_id(entry));
}

// Writes one blob entry: a file, or a symlink whose text is its target.
Result<void> write_blob(git_repository* repository, const git_tree_entry* entry, const std::string& path, SnapshotWriter& out) {
  git_blob* blob = nullptr;
  if (git_blob_lookup(&blob, repository, git_tree_entry_id(entry)) < 0) return damaged("file " + path);
  std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob)), static_cast<std::size_t>(git_blob_rawsize(blob)));
  const git_filemode_t mode = git_tree_entry_filemode(entry);
  Result<void> r = mode == GIT_FILEMODE_LINK ? out.make_symlink(path, std::string(content))
                                             : out.write_file(path, content, mode == GIT_FILEMODE_BLOB_EXECUTABLE);
  git_blob_free(blob);
  return r;
}

// Walks `tree`, recording folder ids; writes its files to `out` when given,
// linking those that `baseline` (the same folder in the baseline's tree) has.
Result<void> walk(git_repository* repository, const git_tree* tree, const git_tree* baseline, const std::string& folder,
                  Output* out, FolderIds& ids, Logger& logger) {
  ids[folder] = hex(git_tree_id(tree));
  const size_t count = git_tree_entrycount(tree);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
    const std::string name = git_tree_entry_name(entry);
    const std::string path = folder.empty() ? name : folder + "/" + name;
    const git_object_t type = git_tree_entry_type(entry);
    Result<void> r;
    if (type == GIT_OBJECT_TREE) {
      git_tree* child = nullptr;
      if (git_tree_lookup(&child, repository, git_tree_entry_id(entry)) < 0) return damaged("folder " + path);
      git_tree* child_baseline = nullptr;
      if (out && baseline)
        if (const git_tree_entry* before = git_tree_entry_byname(baseline, name.c_str()); before && git_tree_entry_type(before) == GIT_OBJECT_TREE)
          git_tree_lookup(&child_baseline, repository, git_tree_entry_id(before));
      if (out) r = out->writer.make_directory(path);
      if (r.ok()) r = walk(repository, child, child_baseline, path, out, ids, logger);
      git_tree_free(child_baseline);
      git_tree_free(child);
    } else if (type == GIT_OBJECT_BLOB && out) {
      if (!unchanged(entry, baseline) || !out->writer.link_file(path, out->baseline_root / path).ok())
        r = write_blob(repository, entry, path, out->writer);
    } else if (type == GIT_OBJECT_COMMIT) {
      logger.debug("submodule left out", {{"path", path}});
    }
    if (!r.ok() && r.error().code == ErrorCode::invalid_input) {
      logger.warn("tree entry left out", {{"path", path}, {"reason", r.error().message}});
    } else if (!r.ok()) {
      return r;
    }
  }
  return {};
}

// Walking only trees reads no file, so there is nothing worth logging.
class QuietLogger : public Logger {
 public:
  void log(LogLevel, std::string_view, const LogFields&) override {}
};

}  // namespace

Result<FolderIds> folder_ids(git_repository* repository, const git_commit* commit) {
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) < 0) return damaged("the commit's tree");
  FolderIds ids;
  QuietLogger quiet;
  auto r = walk(repository, tree, nullptr, "", nullptr, ids, quiet);
  git_tree_free(tree);
  if (!r.ok()) return r.error();
  return ids;
}

Result<fs::path> materialize(git_repository* repository, const git_commit* commit, const fs::path& snapshots, FolderIds& ids,
                             Logger& logger, const Baseline& baseline) {
  const std::string id = hex(git_commit_id(commit));
  if (auto existing = find_snapshot(snapshots, id)) {
    auto found = folder_ids(repository, commit);
    if (!found.ok()) return found.error();
    ids = std::move(*found);
    return *existing;
  }
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) < 0) return damaged("the commit's tree");
  git_tree* baseline_tree = nullptr;
  if (baseline.commit && git_commit_tree(&baseline_tree, baseline.commit) < 0) baseline_tree = nullptr;
  SnapshotWriter writer(snapshots, id);
  Output out{writer, baseline.root};
  ids.clear();
  auto r = walk(repository, tree, baseline_tree, "", &out, ids, logger);
  git_tree_free(baseline_tree);
  git_tree_free(tree);
  if (!r.ok()) return r.error();
  std::vector<std::string> removed;
  auto root = writer.commit(removed);
  for (const auto& link : removed) logger.warn("symlink pointing outside the repository left out", {{"path", link}});
  return root;
}

}  // namespace driftless::git
