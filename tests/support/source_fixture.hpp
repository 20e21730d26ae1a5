// Helpers for source plugin tests: load a source plugin the way the core does,
// fetch with a real CoreContext (state dir in a temp folder), and build Git
// repositories in the test environment's bare-repository root.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "driftless/plugin.hpp"
#include "pipeline/core_context.hpp"
#include "plugins/registry.hpp"
#include "support.hpp"

namespace driftless::test {

/// One source instance with its own state dir, fetching like the engine does.
class SourceUnderTest {
 public:
  /// Loads plugin `type` and creates it from `config_json` (validated as the config loader would).
  SourceUnderTest(const std::string& type, const std::string& config_json, std::filesystem::path state_dir);
  /// The error of create(), when it failed.
  const std::optional<Error>& create_error() const { return create_error_; }
  /// Fetches with `previous` (the last good artifact, or nullptr) and a deadline.
  Result<Artifact> fetch(const Artifact* previous = nullptr, std::chrono::seconds timeout = std::chrono::seconds(120));

 private:
  core::PluginRegistry registry_;
  std::atomic<bool> stop_{false};
  core::ContextServices services_;
  std::string type_;
  std::unique_ptr<Source> source_;
  std::optional<Error> create_error_;
};

/// Expects `result` to have failed with `code` and a message containing `fragment`.
void expect_error(const Result<Artifact>& result, ErrorCode code, const std::string& fragment);

/// A socket listening on 127.0.0.1 on a free port; the port goes to `port`.
int listen_on_loopback(int& port);

/// LeakSanitizer suppressions for Debian's libgit2 1.5, whose SSH transport
/// leaks a few bytes on every connection (its libssh2 known-hosts list, URL
/// parts) and more when one fails. Nothing a caller can free; without symbols
/// for those libraries only their module names can be matched. Used by the git
/// tests (in-process through __lsan_default_suppressions, and for the driftless
/// binary through LSAN_OPTIONS); harmless in builds without sanitizers.
inline constexpr const char* libgit2_leak_suppressions = "leak:libssh2.so.1\nleak:libgit2.so.1.5\n";

/// The test environment; fails the test when it is not up.
std::map<std::string, std::string> require_env();

/// A bare repository in GIT_REPOS_DIR plus a work tree to commit and push from.
class TestRepo {
 public:
  explicit TestRepo(const std::string& name);
  ~TestRepo();
  /// Writes files (path -> content), commits with `message`, pushes `branch`; returns the commit id.
  std::string commit(const std::map<std::string, std::string>& files, const std::string& message,
                     const std::string& branch = "main", const std::vector<std::string>& extra_commit_args = {});
  /// Runs git in the work tree; fails the test on error; returns stdout without the final newline.
  std::string git(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
  /// Repository name in URLs: "<name>.git".
  std::string url_path() const { return name_ + ".git"; }
  std::filesystem::path bare() const { return bare_; }
  std::filesystem::path work() const { return work_.path(); }
  /// Environment every git command gets (identity, isolated HOME).
  std::map<std::string, std::string> env() const;

 private:
  std::string name_;
  std::filesystem::path bare_;
  TempDir work_;
  TempDir home_;
};

/// A public key authorized on the tests/env sshd while it lives (forced
/// git-shell, like a deploy key); the file is restored afterwards.
class AuthorizedKey {
 public:
  AuthorizedKey(std::filesystem::path authorized_keys, const std::string& public_line);
  ~AuthorizedKey();

 private:
  std::filesystem::path file_;
  std::string original_;
};

/// A .tar.gz made by Python's tarfile in `dir` from lines of a small script:
/// f(name, data=b'x: 1\n', mode=0o644) adds a file, d(name) a folder,
/// l(name, target, kind=tarfile.SYMTYPE) a link; `t` is the open archive.
std::string make_tarball(const TempDir& dir, const std::string& entries);

/// Recursively makes a tree writable and removes it (snapshots are read-only).
void remove_read_only(const std::filesystem::path& root);

}  // namespace driftless::test
