// Pipelines declared by the repository: a renderer stage (e.g. "flux") reads
// objects of a render that describe further pipelines (a Flux Kustomization,
// an Argo CD Application) into RenderResult::pipelines. The core names each
// "<parent>/<child>", checks its plugin blocks like the config's, gives it
// the parent's source and sink type with the sink config the sink allows
// (SinkFactory::narrow), orders the declarations by their dependencies, and
// the expansion runs them like any other pipeline.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driftless/plugin.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// Most pipelines one render may declare, and how deep declarations nest
/// (parent/child/grandchild ...): a repository cannot make the engine run
/// without end.
inline constexpr std::size_t kMaxDeclaredPipelines = 1000;
inline constexpr std::size_t kMaxPipelineDepth = 4;

/// The pipelines that `declared` (from a render of the pipeline
/// `parent_name`, of spec `parent`, at nesting `depth`: 0 for a configured
/// pipeline) describe, each after the ones it depends on. A declaration that
/// cannot be run is an error in `out` naming its file, line and object; the
/// caller keeps the last good children then.
std::vector<PipelineSpec> declared_children(std::vector<DeclaredPipeline> declared, const PipelineSpec& parent,
                                            const std::string& parent_name, std::size_t depth,
                                            const PluginRegistry& registry, std::vector<Diagnostic>& out);

}  // namespace driftless::core
