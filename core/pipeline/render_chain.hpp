// The renderer stages of a pipeline: each gets the objects of the one before;
// a result is reused from the render cache while nothing it read changed;
// every new result is checked before anyone sees it, and the pipelines it
// declares are taken out of it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/child_pipelines.hpp"
#include "pipeline/core_context.hpp"
#include "pipeline/expansion.hpp"
#include "pipeline/render_cache.hpp"

namespace driftless::core {

/// A render as a run uses it.
struct Rendered {
  std::shared_ptr<const RenderResult> result;  ///< shared with the render cache (not copied)
  bool reused = false;                         ///< the cache's last result, not a new render
  /// The pipelines a new render without errors declares; nullopt otherwise
  /// (then the ones declared before stand: errors never remove a pipeline).
  std::optional<std::vector<PipelineSpec>> declared;
};

class RenderChain {
 public:
  RenderChain(const PluginRegistry& registry, const ContextServices& services, std::chrono::seconds timeout);

  /// `pipeline` rendered from `artifact` (`cluster`: what its sink knows of
  /// the cluster, or nullptr). A new result is checked: every object
  /// addressable and once, nothing unexpectedly empty.
  Rendered render(const ExpandedPipeline& pipeline, const Artifact& artifact, const ClusterInfo* cluster);

  /// RenderCache::untouched and forget.
  bool untouched(const std::string& pipeline, const Artifact& artifact) const { return cache_.untouched(pipeline, artifact); }
  void forget(const std::string& pipeline) { cache_.forget(pipeline); }

 private:
  RenderResult run_stages(const ExpandedPipeline& pipeline, const Artifact& artifact,
                          const std::vector<RenderCache::Stage>& stages, const ClusterInfo* cluster);

  const PluginRegistry& registry_;
  const ContextServices& services_;
  std::chrono::seconds timeout_;
  RenderCache cache_;
};

}  // namespace driftless::core
