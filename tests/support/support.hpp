// Helpers shared by the tests: temporary folders, running the driftless
// binary, and reading the tests/env environment file.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driftless/context.hpp"
#include "driftless/toolkit/http.hpp"
#include "plugins/registry.hpp"

namespace driftless::test {

/// A fresh folder under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& relative) const { return path_ / relative; }

 private:
  std::filesystem::path path_;
};

/// Writes `content` to `file`, creating parent folders.
void write_file(const std::filesystem::path& file, const std::string& content);
/// The whole content of a file ("" when missing).
std::string read_file(const std::filesystem::path& file);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs argv (no shell) with extra environment variables; captures output.
CommandResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});

/// The bin folders of the test environment's tools (kustomize, helm,
/// kubectl) in the tools cache, as a PATH fragment, from tests/env/versions.sh.
std::string tools_path();

/// Runs the built driftless binary with `args`; the tools of tools_path()
/// come first on its PATH unless `env` sets PATH.
CommandResult run_driftless(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

/// A program running in the background (a daemon under test), its stdout and
/// stderr in a log file. Stopped with SIGTERM (SIGKILL after 20 s) when destroyed.
class BackgroundProcess {
 public:
  /// Starts argv with extra environment variables; output goes to `log`
  /// (a private temporary file when empty).
  BackgroundProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                    std::filesystem::path log = {});
  /// The built driftless binary with `args`.
  static std::vector<std::string> driftless_argv(const std::vector<std::string>& args);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  /// Sends a signal (SIGHUP, SIGTERM ...).
  void signal(int sig) const;
  /// The process id (its /proc entry, for memory checks).
  int pid() const { return pid_; }
  /// Waits for the end; the exit code (128 + signal when killed), or -1 on timeout.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(120));
  /// Everything it printed so far.
  std::string output() const;
  /// Polls until the output contains `text`; false on timeout.
  bool wait_for_output(const std::string& text, std::chrono::seconds timeout) const;

 private:
  TempDir dir_;
  std::filesystem::path log_;
  int pid_ = -1;
  int exit_code_ = -1;
};

/// Polls `condition` every 100 ms until it holds; false on timeout.
bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout);

/// The built plugin directory, the source tree, the binary.
std::filesystem::path plugin_dir();
std::filesystem::path source_dir();

/// The project's plugins, loaded once from the build tree.
const core::PluginRegistry& plugins();

/// A Context for calling a plugin directly in a test: logs to stderr, a
/// private cache dir, a generous deadline, and no cluster unless one is set.
class TestContext : public Context {
 public:
  TestContext();
  Logger& logger() override;
  bool cancelled() const override { return cancel; }
  std::chrono::steady_clock::time_point deadline() const override { return deadline_at; }
  std::filesystem::path cache_dir() const override { return cache_.path(); }
  std::string pipeline() const override { return pipeline_name; }
  Result<Artifact> fetch_source(std::string_view type, const Value& spec) override;
  const ClusterInfo* cluster_info() const override { return cluster ? &*cluster : nullptr; }

  bool cancel = false;
  std::string pipeline_name = "test";
  std::chrono::steady_clock::time_point deadline_at;
  std::optional<ClusterInfo> cluster;

 private:
  TempDir cache_;
};

/// KEY=VALUE pairs of $DRIFTLESS_ENV_DIR/env (tests/env); empty when absent.
std::map<std::string, std::string> test_env();

/// Client options of the cluster admin for the kube-apiserver of `env` (test_env()).
HttpClientOptions apiserver_admin_options(const std::map<std::string, std::string>& env);

}  // namespace driftless::test
