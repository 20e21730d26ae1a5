// Runs pipelines: fetch each source once, expand forEachFolder pipelines,
// render through the renderer chain, hand the objects to the sink.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driftless/after_apply.hpp"
#include "driftless/capabilities.hpp"
#include "driftless/plugin.hpp"
#include "pipeline/core_context.hpp"
#include "pipeline/render_cache.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

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
  std::map<std::string, std::string> metadata;  ///< of the revision: author, committer, message ...
  /// The rendered objects, shared with the render cache (not copied).
  std::shared_ptr<const std::vector<KubeObject>> rendered;
  SinkReport sink;
  std::vector<Diagnostic> diagnostics;  ///< fetch, render and sink problems
  std::chrono::milliseconds duration{0};
  bool render_ran = false;     ///< the renderer chain ran
  bool render_reused = false;  ///< the chain's last result was reused instead
  /// Diagnostics left out of `diagnostics` and `sink.diagnostics` beyond
  /// kMaxDiagnostics (render_checks.hpp); a summary line says how many.
  std::size_t diagnostics_dropped = 0;

  bool ok() const { return !has_errors(diagnostics) && !has_errors(sink.diagnostics); }
  /// The rendered objects; none when the render failed.
  const std::vector<KubeObject>& objects() const;
};

/// What Engine::retire did with a pipeline whose folder left its source.
struct Retirement {
  PipelineRun run;              ///< the sink's report when it pruned; warnings and errors
  bool pruned = false;          ///< the config asked to prune, and the sink was asked to
  bool done = false;            ///< the pipeline is gone (false: the prune failed; try again later)
};

/// The outcome of fetching one source.
struct FetchOutcome {
  std::string source;
  std::string revision;        ///< the current (last good) revision; "" when none yet
  bool changed = false;        ///< a revision different from the one before
  std::optional<Error> error;  ///< the fetch failed; the last good artifact is kept
  std::chrono::milliseconds duration{0};
  std::map<std::string, std::string> metadata;  ///< author, committer, message ... of the revision
};

/// A pipeline as expanded from the current artifact of its source.
struct PipelineTarget {
  std::string name;
  std::string source;
  std::chrono::milliseconds interval{60000};
  std::string folder_path;  ///< the matched folder of a forEachFolder pipeline ("clusters/prod"); "" otherwise
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
  /// named `only` that does not exist yields one failed run saying so. With
  /// `fetch_sources` false, sources fetched before are not fetched again.
  /// Safe to call from several threads.
  std::vector<PipelineRun> run(RunStage stage, const std::optional<std::string>& only = std::nullopt,
                               bool fetch_sources = true);

  /// Fetches one source now (one fetch serves every pipeline using it).
  FetchOutcome fetch(const std::string& source);

  /// Those of `pipelines` (all of source `source`) that the source's current
  /// artifact leaves exactly as they were last rendered: none of the folders
  /// they read changed. A new revision needs no reconcile of them.
  std::set<std::string> untouched(const std::string& source, const std::vector<std::string>& pipelines);

  /// Every pipeline as expanded from the sources' current artifacts; a
  /// forEachFolder pipeline whose source was never fetched has none yet.
  std::vector<PipelineTarget> targets();

  /// Ends the forEachFolder pipeline `pipeline`, whose folder `folder_path`
  /// left its source `source`. Only when the source's current (good) artifact lacks
  /// that folder, and some folder still matches the pipeline's glob (a tree
  /// with none left looks like a broken source, not a decision): with
  /// pruneOnFolderRemoval the sink is asked to delete every object of the
  /// pipeline (an empty set, explicitly allowed to be empty); without it the
  /// objects stay and a warning says so. Then its drift watch ends and its
  /// sink is dropped. A failed prune keeps the sink, to be tried again.
  Retirement retire(const std::string& pipeline, const std::string& source, const std::string& folder_path);

  /// What a pipeline's drift watch reports, from the sink's threads.
  struct WatchEvents {
    /// The pipeline's target drifted (DriftEvents::drifted).
    std::function<void(const std::string& pipeline, const std::string& reason)> drifted;
    /// The pipeline's target answers again (DriftEvents::answers_again).
    std::function<void(const std::string& pipeline)> answers_again;
  };
  /// Starts the DriftWatch of `pipeline`'s sink unless it runs already or the
  /// sink has none (making the pipeline's sink when no run made it yet).
  void start_watch(const std::string& pipeline, const WatchEvents& events);
  /// Ends the watch of one pipeline (this replica stopped acting on the
  /// pipeline: its drift is no longer ours to heal).
  void stop_watch(const std::string& pipeline);
  /// Ends every watch (also done by the destructor).
  void stop_watches();

  /// Leases::hold_lease for the pipeline, creating its sink when needed; true
  /// when its sink has no Leases (a target without coordination).
  Result<bool> hold_lease(const std::string& pipeline, const LeaseRequest& request);
  /// Leases::release_lease for every pipeline whose sink exists and has Leases.
  void release_leases(const LeaseRequest& request);
  /// FailureReports::report_failure for the pipeline (when its sink can be made and has it).
  void report_failure(const std::string& pipeline, const std::vector<Diagnostic>& errors);

 private:
  struct SourceState;
  struct Expanded;
  struct Expansion;

  SourceState& source_state(const std::string& name);
  /// The pipelines `spec` makes from `artifact` (remembered per spec until the artifact changes).
  std::shared_ptr<const Expansion> expand(const PipelineSpec& spec, const std::shared_ptr<const Artifact>& artifact);
  /// The last good artifact of `source`, or nullptr.
  std::shared_ptr<const Artifact> last_good(const std::string& source);
  /// Every pipeline spec's expansion from its source's last good artifact.
  std::vector<std::shared_ptr<const Expansion>> current_expansions();
  /// Every pipeline as expanded from its source's last good artifact.
  std::vector<Expanded> current_pipelines();
  /// The pipeline named `name` among current_pipelines().
  std::optional<Expanded> find_expanded(const std::string& name);
  /// `warnings` (from the expansion) lead the run's diagnostics.
  PipelineRun run_one(const Expanded& pipeline, const Artifact& artifact, RunStage stage,
                      const std::vector<Diagnostic>& warnings);
  /// Runs the renderer chain: each stage gets the objects of the one before.
  RenderResult render_chain(const Expanded& pipeline, const Artifact& artifact, const std::vector<RenderCache::Stage>& stages,
                            const ClusterInfo* cluster);
  struct SinkSlot;
  SinkSlot* sink_for(const Expanded& pipeline, std::vector<Diagnostic>& problems);
  SinkSlot* sink_for(const std::string& pipeline);
  void report_to_sink(const std::string& pipeline, SinkSlot& slot, const std::vector<Diagnostic>& errors);
  /// Runs the render's after-apply work on the sink's target, after a sync without errors.
  void run_after_apply(const Expanded& pipeline, const RenderResult& rendered, SinkSlot& slot, SinkMode mode,
                       PipelineRun& run, std::vector<Diagnostic>& errors);
  /// DriftWatch::unwatch of a slot whose watch runs (sinks_mutex_ held).
  void end_watch(SinkSlot& slot);
  /// Ends the pipeline's watch and forgets its sink (the pipeline was retired).
  void drop_sink(const std::string& pipeline);
  std::optional<Expanded> expansion_of(const std::string& pipeline, const std::string& source,
                                       const std::string& folder_path) const;

  const Config& config_;
  const PluginRegistry& registry_;
  EngineOptions options_;
  ContextServices services_;
  std::mutex mutex_;  ///< guards sources_, each SourceState's artifact and error, and expansions_
  std::map<std::string, std::unique_ptr<SourceState>> sources_;
  std::map<const PipelineSpec*, std::shared_ptr<const Expansion>> expansions_;
  struct SinkSlot {
    std::string type;
    std::unique_ptr<Sink> instance;
    /// The instance's capabilities (capabilities.hpp), asked once; nullptr when it has none.
    ClusterFacts* facts = nullptr;
    DriftWatch* drift_watch = nullptr;
    Leases* leases = nullptr;
    FailureReports* failure_reports = nullptr;
    TargetAccess* target_access = nullptr;
    std::optional<ClusterInfo> cluster;
    std::unique_ptr<CoreContext> watch;  ///< the context of a running DriftWatch::watch
  };
  std::mutex sinks_mutex_;  ///< guards sinks_ (slots never move) and their watches
  std::map<std::string, SinkSlot> sinks_;  ///< one instance per pipeline, kept for the engine's life
  bool closing_ = false;                   ///< no new watches (guarded by sinks_mutex_)
  RenderCache render_cache_;
};

/// Folders of `root` matching a '/'-separated glob ("clusters/*"), sorted,
/// relative to root. Symlinks and hidden folders are never matched.
std::vector<std::string> match_folders(const std::filesystem::path& root, const std::string& glob);

/// Whether `path` ("clusters/prod") is a folder match_folders could return for
/// `glob` (leaving aside whether it exists).
bool folder_matches(const std::string& glob, const std::string& path);

}  // namespace driftless::core
