// Pipelines declared by the repository: objects in a parent pipeline's render
// that describe further pipelines (later: Flux Kustomization, Argo CD
// Application). A PipelineReader recognises such objects and reads each into
// a PipelineSpec; the core takes them out of the parent's objects (they
// describe work for driftless, not state for the target), names them
// "<parent>/<child>", checks their plugin blocks like the config's, and the
// expansion runs them like any other pipeline.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driftless/object.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// Reads pipeline declarations of one kind. No reader is built in yet;
/// EngineOptions::pipeline_readers names the ones an engine uses.
class PipelineReader {
 public:
  virtual ~PipelineReader() = default;
  /// Whether `object` declares a pipeline of this reader's kind.
  virtual bool declares(const KubeObject& object) const = 0;
  /// The pipeline `object` declares: `name` (one segment, unique under its
  /// parent), `path` in the parent's source, `renderers` and `sink` as
  /// plugin blocks whose `config` holds the keys as written (checked by the
  /// core); `interval` when it has one. Source, location and the full name
  /// are the core's to fill in.
  virtual Result<PipelineSpec> read(const KubeObject& object) const = 0;
};

/// Most pipelines one render may declare, and how deep declarations nest
/// (parent/child/grandchild ...): a repository cannot make the engine run
/// without end.
inline constexpr std::size_t kMaxDeclaredPipelines = 1000;
inline constexpr std::size_t kMaxPipelineDepth = 4;

/// Takes every object some reader declares out of `objects` and returns the
/// pipelines they declare for the pipeline `parent_name` (of spec `parent`,
/// at nesting `depth`: 0 for a configured pipeline). A declaration that
/// cannot be read is an error in `out` naming its file, line and object;
/// the caller keeps the last good children then.
std::vector<PipelineSpec> take_declared_pipelines(std::vector<KubeObject>& objects,
                                                  const std::vector<const PipelineReader*>& readers,
                                                  const PipelineSpec& parent, const std::string& parent_name,
                                                  std::size_t depth, const PluginRegistry& registry,
                                                  std::vector<Diagnostic>& out);

}  // namespace driftless::core
