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

/// Runs the built driftless binary with `args`.
CommandResult run_driftless(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

/// The built plugin directory, the source tree, the binary.
std::filesystem::path plugin_dir();
std::filesystem::path source_dir();

/// KEY=VALUE pairs of $DRIFTLESS_ENV_DIR/env (tests/env); empty when absent.
std::map<std::string, std::string> test_env();

}  // namespace driftless::test
