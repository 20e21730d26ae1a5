// Which pipelines there are: each configured pipeline as expanded from its
// source's artifact (a forEachFolder pipeline: one per matching folder, listed
// once per revision), and the pipelines their renders declared
// (child_pipelines.hpp), named "<parent>/<child>", which run like any other.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driftless/artifact.hpp"

namespace driftless::core {

/// One pipeline as it runs.
struct ExpandedPipeline {
  const PipelineSpec* spec = nullptr;
  std::string name;
  std::string folder;     ///< basename of the matched folder ("" without forEachFolder)
  std::string path;
  std::size_t depth = 0;  ///< 0 for a configured pipeline; its parent's + 1 for a declared one
  std::shared_ptr<const PipelineSpec> declared;  ///< owns `spec` of a declared pipeline while it runs
};

/// The pipeline's labels, {{folder}} and {{path}} filled in.
std::map<std::string, std::string> labels_of(const ExpandedPipeline& pipeline);

/// The pipeline's sink config block, {{folder}} and {{path}} filled in.
Value sink_config_of(const ExpandedPipeline& pipeline);

/// The pipelines one configured spec makes from one artifact.
struct Expansion {
  std::shared_ptr<const Artifact> artifact;  ///< what it was expanded from
  std::vector<ExpandedPipeline> pipelines;
  std::vector<Diagnostic> problems;
};

class Expansions {
 public:
  explicit Expansions(const Config& config) : config_(config) {}

  /// The pipelines `spec` makes from `artifact` (remembered per spec until the artifact changes).
  std::shared_ptr<const Expansion> expand(const PipelineSpec& spec, const std::shared_ptr<const Artifact>& artifact);

  /// Every pipeline, each followed by those it declared: configured ones as
  /// expanded from `last_good(source)`; a forEachFolder pipeline whose source
  /// has no artifact yet has none.
  std::vector<ExpandedPipeline> current(const std::function<std::shared_ptr<const Artifact>(const std::string&)>& last_good);

  /// The pipelines `parent` declared in its last render without errors.
  std::vector<ExpandedPipeline> children_of(const std::string& parent);
  /// Makes `children` (from a new render of `parent` without errors) its
  /// declared pipelines. Returns the names no longer declared, with theirs in turn.
  std::vector<std::string> declare(const ExpandedPipeline& parent, std::vector<PipelineSpec> children);
  /// Forgets what `parent` declared (it is gone); returns the names forgotten.
  std::vector<std::string> forget_children(const std::string& parent);

  /// The configured forEachFolder pipeline named `pipeline` for folder
  /// `folder_path` of `source`, whether or not the folder is still there.
  std::optional<ExpandedPipeline> folder_pipeline(const std::string& pipeline, const std::string& source,
                                                  const std::string& folder_path) const;

 private:
  /// Removes `parent`'s children and theirs (mutex_ held).
  void forget_locked(const std::string& parent, std::vector<std::string>& forgotten);
  void add_with_children(const ExpandedPipeline& pipeline, std::vector<ExpandedPipeline>& out);

  struct Declared {
    std::shared_ptr<const PipelineSpec> spec;
    std::size_t depth = 0;
  };

  const Config& config_;
  std::mutex mutex_;  ///< guards expansions_ and children_
  std::map<const PipelineSpec*, std::shared_ptr<const Expansion>> expansions_;
  std::map<std::string, std::vector<Declared>> children_;  ///< by parent name
};

/// Folders of `root` matching a '/'-separated glob ("clusters/*"), sorted,
/// relative to root. Symlinks and hidden folders are never matched.
std::vector<std::string> match_folders(const std::filesystem::path& root, const std::string& glob);

/// Whether `path` ("clusters/prod") is a folder match_folders could return for
/// `glob` (leaving aside whether it exists).
bool folder_matches(const std::string& glob, const std::string& path);

}  // namespace driftless::core
