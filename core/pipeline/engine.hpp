// Runs pipelines: fetch each source once, expand forEachFolder pipelines,
// render through the renderer chain, hand the objects to the sink.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driftless/plugin.hpp"
#include "pipeline/core_context.hpp"
#include "pipeline/render_cache.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// Labels every managed object carries.
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "driftless";
inline constexpr const char* kPipelineLabel = "driftless.dev/pipeline";

/// How far one run goes.
enum class RunStage {
  render,  ///< fetch and render only
  diff,    ///< ... and ask the sink what would change
  apply,   ///< ... and make the target equal
};

/// The outcome of one pipeline in one run.
struct PipelineRun {
  std::string pipeline;
  std::string revision;
  std::vector<KubeObject> objects;
  SinkReport sink;
  std::vector<Diagnostic> diagnostics;  ///< fetch, render and sink problems
  std::chrono::milliseconds duration{0};

  bool ok() const { return !has_errors(diagnostics) && !has_errors(sink.diagnostics); }
};

struct EngineOptions {
  std::filesystem::path state_dir;
  std::chrono::seconds timeout{300};       ///< per fetch, render and sink call
  const std::atomic<bool>* stop = nullptr;
};

class Engine {
 public:
  /// `config` must have passed validate_plugin_blocks against `registry`.
  Engine(const Config& config, const PluginRegistry& registry, EngineOptions options);
  ~Engine();

  /// Runs every pipeline (or only `only`, when set) up to `stage`. A pipeline
  /// named `only` that does not exist yields one failed run saying so.
  std::vector<PipelineRun> run(RunStage stage, const std::optional<std::string>& only = std::nullopt);

 private:
  struct SourceState;
  struct Expanded;

  SourceState& source_state(const std::string& name);
  std::vector<Expanded> expand(const PipelineSpec& spec, const Artifact& artifact, std::vector<Diagnostic>& problems);
  PipelineRun run_one(const Expanded& pipeline, const Artifact& artifact, RunStage stage);

  const Config& config_;
  const PluginRegistry& registry_;
  EngineOptions options_;
  ContextServices services_;
  std::map<std::string, std::unique_ptr<SourceState>> sources_;
  RenderCache render_cache_;
};

/// Folders of `root` matching a '/'-separated glob ("clusters/*"), sorted,
/// relative to root. Symlinks and hidden folders are never matched.
std::vector<std::string> match_folders(const std::filesystem::path& root, const std::string& glob);

}  // namespace driftless::core
