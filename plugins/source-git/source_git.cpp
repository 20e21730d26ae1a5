// source "git": a Git repository fetched with libgit2 into a persistent bare
// mirror (incremental fetches), followed by branch, tag, semver range or
// commit, and handed on as a read-only snapshot of the exact commit with
// per-folder tree ids. A poll that finds nothing new costs one ls-remote
// round trip and no checkout.
#include <git2.h>

#include <ctime>

#include <driftless/export.hpp>
#include <driftless/toolkit/snapshot.hpp>

#include "git_spec.hpp"
#include "mirror.hpp"
#include "refs.hpp"
#include "remote_session.hpp"
#include "signature.hpp"
#include "snapshot.hpp"

namespace {

using namespace driftless;
using namespace driftless::git;
namespace fs = std::filesystem;

std::string revision_of(const ResolvedRef& ref) {
  return (ref.label.empty() ? "" : ref.label + "@") + "sha1:" + ref.commit;
}

std::string person(const git_signature* s) { return std::string(s->name) + " <" + s->email + ">"; }

std::string iso_time(git_time_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return out;
}

// Owns a looked-up commit.
struct CommitHandle {
  git_commit* commit = nullptr;
  CommitHandle() = default;
  CommitHandle(const CommitHandle&) = delete;
  CommitHandle& operator=(const CommitHandle&) = delete;
  ~CommitHandle() { git_commit_free(commit); }
};

bool lookup_commit(git_repository* repository, const std::string& id, CommitHandle& out) {
  git_oid oid;
  if (git_oid_fromstr(&oid, id.c_str()) < 0) return false;
  return git_commit_lookup(&out.commit, repository, &oid) == 0;
}

// One attempt; `damaged` tells the caller that re-cloning may help.
struct Attempt {
  Result<Artifact> artifact = fail(ErrorCode::internal, "not run");
  bool damaged = false;
};

class GitSource : public Source {
 public:
  explicit GitSource(GitSpec spec) : spec_(std::move(spec)) {}

  Result<Artifact> fetch(Context& context, const Artifact* previous) override {
    bool recreated = false;
    auto mirror = Mirror::open(context.cache_dir(), spec_.url.text, context.deadline(), recreated);
    if (!mirror.ok()) return mirror.error();
    if (recreated) context.logger().warn("the mirror could not be opened and was re-created", {{"url", spec_.url.text}});
    Attempt first = attempt(**mirror, context, previous);
    if (first.artifact.ok() || !first.damaged) return std::move(first.artifact);
    context.logger().warn("the mirror is damaged; deleting it and cloning again",
                          {{"url", spec_.url.text}, {"reason", first.artifact.error().message}});
    if (auto r = (*mirror)->recreate(); !r.ok()) return r.error();
    return std::move(attempt(**mirror, context, previous).artifact);
  }

 private:
  Attempt attempt(Mirror& mirror, Context& context, const Artifact* previous) {
    git_repository* repository = mirror.repository();
    const auto started = std::chrono::steady_clock::now();
    CommitHandle commit;
    ResolvedRef target;
    if (spec_.ref.kind == RefKind::commit && lookup_commit(repository, spec_.ref.value, commit)) {
      target.commit = spec_.ref.value;  // a pinned commit already here needs no network at all
    } else {
      RemoteSession session(repository, spec_, context);
      auto advertised = session.list();
      if (!advertised.ok()) return {advertised.error()};
      auto resolved = resolve_ref(spec_.ref, *advertised, spec_.url.text);
      if (!resolved.ok()) return {resolved.error()};
      target = std::move(*resolved);
      if (!lookup_commit(repository, target.commit, commit)) {
        if (auto fetched = session.fetch(target.refspecs); !fetched.ok()) return {fetched.error(), session.failure().mirror_damaged};
        compact(mirror, context);
        if (!lookup_commit(repository, target.commit, commit))
          return {fail(ErrorCode::not_found, "commit " + target.commit + " is not reachable from any branch or tag of " +
                                                 spec_.url.text)};
      }
    }
    if (previous && previous->revision == revision_of(target)) {
      context.logger().debug("no new commit", {{"revision", previous->revision}});
      return {*previous};
    }

    Artifact artifact;
    artifact.revision = revision_of(target);
    const git_oid* id = git_commit_id(commit.commit);
    if (spec_.verify.kind != SignatureKind::none) {
      auto signer = verify_commit(repository, id, spec_.verify, context, context.deadline());
      if (!signer.ok()) return {signer.error()};
      artifact.metadata["signature"] = "verified: " + *signer;
    } else {
      artifact.metadata["signature"] = signature_kind(repository, id) + " (not verified)";
    }
    // Files the last artifact already has are linked from it, not written again.
    CommitHandle before;
    Baseline baseline;
    if (previous && previous->metadata.count("commit") && lookup_commit(repository, previous->metadata.at("commit"), before))
      baseline = {before.commit, previous->root};
    auto root = materialize(repository, commit.commit, mirror.snapshots(), artifact.folder_ids, context.logger(), baseline);
    if (!root.ok()) return {root.error(), root.error().code == ErrorCode::internal};
    artifact.root = *root;
    describe(commit.commit, artifact.metadata);
    std::set<fs::path> in_use{artifact.root};
    if (previous) in_use.insert(previous->root);
    prune_snapshots(mirror.snapshots(), spec_.keep_snapshots, in_use);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    context.logger().info("fetched", {{"url", spec_.url.text}, {"revision", artifact.revision}, {"ms", std::to_string(ms)}});
    return {std::move(artifact)};
  }

  void describe(git_commit* commit, std::map<std::string, std::string>& metadata) const {
    char id[GIT_OID_HEXSZ + 1];
    git_oid_tostr(id, sizeof id, git_commit_id(commit));
    metadata["url"] = spec_.url.text;
    metadata["commit"] = id;
    metadata["author"] = person(git_commit_author(commit));
    metadata["committer"] = person(git_commit_committer(commit));
    metadata["date"] = iso_time(git_commit_time(commit));
    const char* summary = git_commit_summary(commit);
    metadata["message"] = summary ? summary : "";
  }

  // Repacking is housekeeping: a failure is worth a warning, not a failed fetch.
  void compact(Mirror& mirror, Context& context) {
    auto merged = mirror.compact();
    if (!merged.ok()) context.logger().warn("the mirror could not be repacked", {{"reason", merged.error().message}});
    else if (*merged > 0) context.logger().info("mirror repacked", {{"url", spec_.url.text}, {"packs", std::to_string(*merged)}});
  }

  GitSpec spec_;
};

class GitSourceFactory : public SourceFactory {
 public:
  GitSourceFactory() {
    git_libgit2_init();
    // The user's and the system's git config (insteadOf rewrites, proxies,
    // credential helpers) must not change what a source fetches.
    for (int level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_PROGRAMDATA})
      git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "");
  }
  std::vector<ConfigKey> config_keys() const override { return git_schema().keys(); }
  Result<std::string> tool_version() const override {
    int major = 0, minor = 0, revision = 0;
    git_libgit2_version(&major, &minor, &revision);
    const int features = git_libgit2_features();
    std::string out = "libgit2 " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(revision);
    out += (features & GIT_FEATURE_HTTPS) ? " +https" : " -https";
    out += (features & GIT_FEATURE_SSH) ? " +ssh" : " -ssh";
    return out;
  }
  Result<std::unique_ptr<Source>> create(const Value& config) const override {
    auto spec = parse_git_spec(config);
    if (!spec.ok()) return spec.error();
    if (spec->url.transport == Transport::ssh && !(git_libgit2_features() & GIT_FEATURE_SSH))
      return fail(ErrorCode::invalid_input, "this libgit2 was built without SSH support; use an https URL");
    return std::unique_ptr<Source>(std::make_unique<GitSource>(std::move(*spec)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(GitSourceFactory, "git", "source", "0.1.0",
                 "Git repositories over ssh, https, http, git:// and local paths (libgit2), with refs, semver and signatures")
