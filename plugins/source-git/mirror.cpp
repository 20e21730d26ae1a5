#include "mirror.hpp"

#include <vector>

#include "driftless/toolkit/hash.hpp"

namespace driftless::git {

namespace fs = std::filesystem;

namespace {

constexpr int max_packs = 50;

std::string git_failure(const std::string& what) {
  const git_error* e = git_error_last();
  return what + ": " + (e && e->message ? e->message : "unknown libgit2 error");
}

std::vector<fs::path> pack_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".pack") out.push_back(entry.path());
  return out;
}

// Adds annotated tag objects (a revwalk only brings their commits).
int insert_tag_objects(git_repository* repository, git_packbuilder* builder) {
  git_reference_iterator* refs = nullptr;
  if (git_reference_iterator_new(&refs, repository) < 0) return -1;
  git_reference* ref = nullptr;
  int rc = 0;
  while (rc == 0 && git_reference_next(&ref, refs) == 0) {
    const git_oid* target = git_reference_target(ref);
    git_object* object = nullptr;
    if (target && git_object_lookup(&object, repository, target, GIT_OBJECT_TAG) == 0) {
      rc = git_packbuilder_insert(builder, target, nullptr);
      git_object_free(object);
    }
    git_reference_free(ref);
  }
  git_reference_iterator_free(refs);
  return rc;
}

}  // namespace

Result<std::unique_ptr<Mirror>> Mirror::open(const fs::path& cache_dir, const std::string& url,
                                             std::chrono::steady_clock::time_point deadline, bool& recreated) {
  const fs::path folder = cache_dir / "repos" / sha256_hex(url).substr(0, 16);
  auto lock = FolderLock::acquire(folder, deadline);
  if (!lock.ok()) return lock.error();
  std::error_code ec;
  fs::create_directories(folder / "snapshots", ec);
  if (ec) return fail(ErrorCode::internal, "cannot create " + folder.string() + ": " + ec.message());
  std::unique_ptr<Mirror> mirror(new Mirror(folder, std::move(*lock)));
  recreated = false;
  if (!mirror->open_or_init().ok()) {
    recreated = true;
    if (auto r = mirror->recreate(); !r.ok()) return r.error();
  }
  return mirror;
}

Mirror::~Mirror() {
  if (repository_) git_repository_free(repository_);
}

Result<void> Mirror::open_or_init() {
  const fs::path path = folder_ / "mirror.git";
  std::error_code ec;
  int rc = fs::exists(path, ec) ? git_repository_open_bare(&repository_, path.c_str())
                                : git_repository_init(&repository_, path.c_str(), /*is_bare=*/1);
  if (rc < 0) {
    repository_ = nullptr;
    return fail(ErrorCode::internal, git_failure("cannot open the mirror " + path.string()));
  }
  return {};
}

Result<int> Mirror::compact() {
  const fs::path dir = folder_ / "mirror.git" / "objects" / "pack";
  auto packs = pack_files(dir);
  if (packs.size() <= static_cast<std::size_t>(max_packs)) return 0;
  git_packbuilder* builder = nullptr;
  git_revwalk* walk = nullptr;
  int rc = git_packbuilder_new(&builder, repository_);
  if (rc == 0) rc = git_revwalk_new(&walk, repository_);
  if (rc == 0) rc = git_revwalk_push_glob(walk, "refs/*");
  if (rc == 0) rc = git_packbuilder_insert_walk(builder, walk);
  if (rc == 0) rc = insert_tag_objects(repository_, builder);
  if (rc == 0) rc = git_packbuilder_write(builder, dir.c_str(), 0, nullptr, nullptr);
  const std::string kept = rc == 0 ? std::string("pack-") + git_packbuilder_name(builder) : "";
  git_revwalk_free(walk);
  git_packbuilder_free(builder);
  if (rc < 0) return fail(ErrorCode::internal, git_failure("cannot repack the mirror"));
  std::error_code ec;
  for (const auto& pack : packs) {
    if (pack.stem() == kept) continue;
    for (const char* extension : {".pack", ".idx", ".rev", ".keep"}) fs::remove(fs::path(pack).replace_extension(extension), ec);
  }
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repository_) == 0) {
    git_odb_refresh(odb);
    git_odb_free(odb);
  }
  return static_cast<int>(packs.size());
}

Result<void> Mirror::recreate() {
  if (repository_) git_repository_free(repository_);
  repository_ = nullptr;
  std::error_code ec;
  fs::remove_all(folder_ / "mirror.git", ec);
  if (ec) return fail(ErrorCode::internal, "cannot delete the damaged mirror " + (folder_ / "mirror.git").string() + ": " + ec.message());
  return open_or_init();
}

}  // namespace driftless::git
