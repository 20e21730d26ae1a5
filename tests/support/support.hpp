// Helpers shared by the tests: temporary folders, running the driftless
// binary, and reading the tests/env environment file.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

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

/// A program running in the background (a daemon under test), stdout and
/// stderr in `log`. Stopped with SIGTERM (SIGKILL after 10 s) when destroyed.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                    std::filesystem::path log);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  /// Sends `signal` to the process.
  void signal(int signal);
  /// Waits for the end; the exit code (128 + signal when killed).
  int wait();
  /// What it printed so far.
  std::string output() const { return read_file(log_); }

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::filesystem::path log_;
};

/// Runs the built driftless binary with `args`.
CommandResult driftless(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

/// The built plugin directory, the source tree, the binary.
std::filesystem::path plugin_dir();
std::filesystem::path source_dir();

/// KEY=VALUE pairs of $DRIFTLESS_ENV_DIR/env (tests/env); empty when absent.
std::map<std::string, std::string> test_env();

}  // namespace driftless::test
