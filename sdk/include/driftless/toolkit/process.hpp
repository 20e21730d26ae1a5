// Running an external tool (helm, kustomize, ...) the safe way: argv without a
// shell, a minimal environment, a working directory, a timeout that kills the
// whole process group, and caps on what it may write and the memory it may use.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "driftless/result.hpp"

namespace driftless {

/// What to run and within which bounds.
struct ProcessSpec {
  /// Program and arguments, never a shell line. argv[0] is a path, or a bare
  /// name looked up on the daemon's PATH (see find_tool).
  std::vector<std::string> argv;
  /// Bytes written to the tool's standard input, which is then closed
  /// (empty: standard input is /dev/null).
  std::string input;
  /// Working directory of the tool ("" = the caller's).
  std::filesystem::path working_dir;
  /// The tool's whole environment besides PATH=/usr/bin:/bin: nothing of the
  /// daemon's environment leaks in unless named in `inherit`. Set HOME to a
  /// private folder (see ScratchDir) so tools read no user configuration.
  std::map<std::string, std::string> env;
  /// Names of variables copied from the daemon's environment when set there.
  std::vector<std::string> inherit;
  /// Wall-clock limit; then the process group gets SIGKILL.
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  /// Largest stdout, and separately stderr, in bytes; more kills the tool.
  std::size_t max_output = std::size_t{64} * 1024 * 1024;
  /// Largest data segment in bytes (RLIMIT_DATA: heap and private writable
  /// mappings, not the address space Go reserves up front); an allocation
  /// beyond it fails and the run becomes an Error saying so. 0 = no limit.
  std::size_t max_memory = std::size_t{2} * 1024 * 1024 * 1024;
  /// Largest file the tool may write, in bytes (RLIMIT_FSIZE: a download that
  /// grows beyond it fails, and the run becomes an Error saying so). 0 = no limit.
  std::uintmax_t max_file_size = 0;
  /// Polled while the tool runs; returning true kills it (e.g. Context::cancelled).
  std::function<bool()> cancelled;
};

/// What a finished tool left behind.
struct ProcessResult {
  int exit_code = -1;  ///< exit status, or 128 + signal number
  std::string out;
  std::string err;
};

/// Runs the tool and waits for it. An Error means it could not be started,
/// ran out of time (ErrorCode::timeout), was cancelled, wrote too much, or
/// failed for want of memory at max_memory; a non-zero exit code is not an
/// Error: look at exit_code and err.
Result<ProcessResult> run_process(const ProcessSpec& spec);

/// The program to run: `configured` when set (it must be an executable file),
/// else `name` searched on the daemon's PATH. The error says how to fix it:
/// "kustomize not found on PATH: install kustomize or set kustomizePath"
/// (`config_key` may be empty when no config key can name the tool).
Result<std::filesystem::path> find_tool(const std::string& name, const std::string& configured, const std::string& config_key);

/// The first line a tool prints for `version_args` ("helm version --short"),
/// prefixed with nothing; an Error when it cannot be run. Asked once per
/// process and binary: again only when the file changed (size or
/// modification time), so every pipeline of a plugin shares one answer (each plugin carries its own toolkit, and its own cache).
Result<std::string> tool_version_line(const std::filesystem::path& tool, const std::vector<std::string>& version_args);

/// A private folder under the system temp dir, removed with its content when
/// the object goes away: HOME for a tool, a place for generated values files.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// Empty when the folder could not be created.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace driftless
