#include "mirror.hpp"

#include "driftless/hash.hpp"

namespace driftless::git {

namespace fs = std::filesystem;

namespace {
std::string git_failure(const std::string& what) {
  const git_error* e = git_error_last();
  return what + ": " + (e && e->message ? e->message : "unknown libgit2 error");
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

Result<void> Mirror::recreate() {
  if (repository_) git_repository_free(repository_);
  repository_ = nullptr;
  std::error_code ec;
  fs::remove_all(folder_ / "mirror.git", ec);
  if (ec) return fail(ErrorCode::internal, "cannot delete the damaged mirror " + (folder_ / "mirror.git").string() + ": " + ec.message());
  return open_or_init();
}

}  // namespace driftless::git
