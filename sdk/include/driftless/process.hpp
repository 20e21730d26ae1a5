// Running an external program the safe way: no shell, a minimal environment
// (nothing of the daemon's own environment leaks but PATH), a deadline after
// which the whole process group is killed, and capped output.
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

/// What to run.
struct ProcessRequest {
  /// Program and arguments; argv[0] is looked up in PATH when it has no '/'.
  std::vector<std::string> argv;
  /// Environment of the child, added to the minimal one (PATH and LC_ALL=C).
  std::map<std::string, std::string> env;
  /// Bytes written to the child's standard input (then it is closed).
  std::string input;
  /// Working directory; empty = the caller's.
  std::filesystem::path cwd;
  /// When the child is killed (SIGKILL to its process group).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  /// Polled while waiting; returning true kills the child (e.g. Context::cancelled).
  std::function<bool()> cancelled;
  /// Cap on stdout and on stderr each; more is an error.
  std::size_t max_output = 64 * 1024 * 1024;
};

/// How it ended.
struct ProcessResult {
  int exit_code = -1;  ///< the exit status; 128 + signal when killed by a signal
  std::string out;     ///< standard output
  std::string err;     ///< standard error
};

/// Runs the program and waits for it. A non-zero exit is not an error here
/// (look at exit_code); errors are: the program cannot be started (not_found),
/// the deadline passed (timeout), cancelled, output over the cap (invalid_input).
Result<ProcessResult> run_process(const ProcessRequest& request);

}  // namespace driftless
