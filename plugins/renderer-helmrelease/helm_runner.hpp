// Running the real helm for the helmrelease plugin: a private, empty HOME (no
// user repositories, plugins or registry logins), the kube sink's kubeconfig,
// context and impersonation, and never beyond the caller's deadline. Used both
// to pull OCI charts while rendering (no cluster) and to install releases in
// the after-apply step.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "driftless/toolkit/process.hpp"
#include "driftless/plugin.hpp"
#include "cluster.hpp"

namespace driftless::helmrelease {

/// Where helm finds the cluster (empty fields keep helm's own defaults) and
/// how much memory it may use.
struct HelmTarget {
  kube::ClusterSettings cluster;  ///< the kube sink's: kubeconfig, context, impersonation
  std::size_t max_memory = ProcessSpec{}.max_memory;  ///< RLIMIT_DATA of each helm run
};

class HelmRunner {
 public:
  HelmRunner(Context& context, std::filesystem::path tool, HelmTarget target);

  /// The private HOME; files written here (values, registry credentials) go away with the runner.
  const std::filesystem::path& home() const { return home_.path(); }

  /// Runs `helm args...` for at most `timeout` (and never past the context's deadline).
  Result<ProcessResult> run(std::vector<std::string> args, std::chrono::seconds timeout, std::string input = {}) const;

 private:
  Context& context_;
  std::filesystem::path tool_;
  HelmTarget target_;
  ScratchDir home_;
};

/// Writes `text` to a new file only this process can read (values, registry
/// credentials for helm).
Result<void> write_private_file(const std::filesystem::path& file, std::string_view text);

/// `text` with every secret replaced by "***" and trailing blanks removed, so
/// helm's complaints can be shown.
std::string masked(std::string text, const std::vector<std::string>& secrets);

}  // namespace driftless::helmrelease
