// The after-apply half of the helmrelease renderer: after the pipeline's
// objects are applied, make the cluster's Helm releases equal to the
// HelmReleases of the render with the real `helm`, on the kube sink's cluster
// as the sink's identity (the Target the core passes in). One `helm list` finds the releases this
// pipeline installed; a release whose chart digest and merged values are the
// ones it was last installed with (and whose revision nobody moved since) costs
// nothing; others get `helm upgrade --install`, in dependsOn order, a few at a
// time; releases of the pipeline that left Git are uninstalled when prune is on
// and everything else succeeded.
#pragma once

#include <map>
#include <mutex>

#include "driftless/after_apply.hpp"
#include "driftless/toolkit/process.hpp"
#include "labels.hpp"
#include "release.hpp"
#include "release_objects.hpp"

namespace driftless::helmrelease {

/// Labels helm stores on every release driftless installs: kube::kPipelineLabel and this one.
inline constexpr const char* kDigestLabel = "driftless.dev/digest";

struct ActionSettings {
  std::string helm_path;   ///< "" = helm from PATH
  bool prune = true;
  int concurrency = 4;
  std::size_t max_memory = ProcessSpec{}.max_memory;  ///< of each helm run
  std::filesystem::path state_dir;  ///< where the digest each release was installed with is remembered
};

/// Whether `pipeline` installed a release that is still remembered in `settings.state_dir`.
bool remembers_releases(const ActionSettings& settings, const std::string& pipeline);

class ReleaseActions : public AfterApply {
 public:
  ReleaseActions(ActionSettings settings, std::string pipeline, std::vector<Release> releases);
  std::string describe() const override;
  SinkReport run(Context& context, const Target& target, SinkMode mode) override;

 private:
  ActionSettings settings_;
  std::string pipeline_;
  std::vector<Release> releases_;  ///< sorted by level
  std::mutex running_;             ///< one run at a time
  /// The Target (its access as JSON) whose identity may not list releases in
  /// all namespaces; "" while none was refused. Guarded by running_.
  std::string listing_refused_for_;
};

}  // namespace driftless::helmrelease
