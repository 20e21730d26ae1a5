// Runs pipelines: a thin layer over its parts (docs/architecture.md): fetch
// each source once (sources.hpp), expand the pipelines (expansion.hpp), render
// through the renderer chain (render_chain.hpp), hand the objects to the
// pipeline's sink and run the after-apply work on its target (sink_slots.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driftless/plugin.hpp"
#include "pipeline/child_pipelines.hpp"
#include "pipeline/core_context.hpp"
#include "pipeline/expansion.hpp"
#include "pipeline/render_chain.hpp"
#include "pipeline/sink_slots.hpp"
#include "pipeline/sources.hpp"
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
  /// The pipelines this one declares (child_pipelines.hpp) came or went:
  /// Engine::targets() changed.
  bool declared_changed = false;
  /// How many pipelines this one declares (its render's, or the last one's when reused).
  std::size_t declared = 0;
  /// A declared pipeline held back: its dependencies (PipelineSpec::depends_on)
  /// not yet applied at this revision. The run's error says which; retry soon.
  std::vector<std::string> waiting_for;
  /// A declared pipeline its declaration suspends: not rendered or applied.
  bool suspended = false;
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

/// A pipeline as expanded from the current artifact of its source.
struct PipelineTarget {
  std::string name;
  std::string source;
  std::chrono::milliseconds interval{60000};
  std::optional<std::chrono::milliseconds> retry_interval;  ///< after a failure; unset: exponential backoff
  std::string folder_path;  ///< the matched folder of a forEachFolder pipeline ("clusters/prod"); "" otherwise
  std::map<std::string, std::string> labels;  ///< labels_of() the pipeline
  std::string cluster;  ///< where its sink writes (SinkFactory::target), "" when the sink does not say
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
  /// Each sink's target is asked once per pipeline, spec and folder.
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

  using WatchEvents = core::WatchEvents;
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
  /// Leases::release_lease for the pipeline, when its sink exists and has Leases.
  Result<void> release_lease(const std::string& pipeline, const LeaseRequest& request);
  /// Leases::release_lease for every pipeline whose sink exists and has Leases.
  void release_leases(const LeaseRequest& request);
  /// Membership::members of highAvailability.membership's sink: holds this
  /// replica's member lease and returns the live members (mode shard).
  Result<std::vector<std::string>> members(const LeaseRequest& request);
  /// Membership::leave of that sink: the others stop counting this replica.
  void leave(const LeaseRequest& request) { sinks_.leave(request); }
  /// FailureReports::report_failure for the pipeline (when its sink can be made and has it).
  void report_failure(const std::string& pipeline, const std::vector<Diagnostic>& errors);

 private:
  /// The pipeline named `name` among the current ones (configured or declared).
  std::optional<ExpandedPipeline> find(const std::string& name);
  /// Runs `pipeline` and then, depth first, what it declares (those `only`
  /// asks for). `artifact` comes from `artifact_from`: "" for the configured
  /// source, else Sources::declared_key of a declared one.
  void run_tree(const ExpandedPipeline& pipeline, const Artifact& artifact, const std::string& artifact_from,
                RunStage stage, const std::optional<std::string>& only, const std::vector<Diagnostic>& problems,
                std::set<std::string>& names, std::vector<PipelineRun>& runs);
  /// One pipeline: its sink's facts, the render chain, the sink, the after-apply work.
  /// `warnings` (from the expansion) lead the run's diagnostics.
  PipelineRun run_one(const ExpandedPipeline& pipeline, const Artifact& artifact, const std::string& artifact_from,
                      RunStage stage, const std::vector<Diagnostic>& warnings);
  /// Makes what a new render of `pipeline` declares its children; those no
  /// longer declared lose their sink, with a warning in `run`.
  void adopt(const ExpandedPipeline& pipeline, std::vector<PipelineSpec> declared, PipelineRun& run);
  /// The pipeline's sink slot, made when needed; nullptr when it cannot be.
  SinkSlot* sink_for(const std::string& pipeline);
  /// The pipeline is gone: its sink, its watch, its cached render, its children.
  void forget(const std::string& pipeline);
  /// Those of `spec`'s dependencies not applied without errors: at
  /// `revision` when they read the same source (`artifact_from`), in their
  /// last run when they read another.
  std::vector<std::string> unapplied_dependencies(const PipelineSpec& spec, const std::string& revision,
                                                  const std::string& artifact_from);
  /// Records the outcome of an apply run, for the pipelines that depend on it.
  void record_applied(const PipelineRun& run, const std::string& artifact_from);
  /// SinkFactory::target of the pipeline's sink.
  std::string sink_target(const ExpandedPipeline& pipeline) const;

  const Config& config_;
  const PluginRegistry& registry_;
  EngineOptions options_;
  ContextServices services_;
  Sources sources_;
  Expansions expansions_;
  RenderChain render_chain_;
  SinkSlots sinks_;
  std::mutex applied_mutex_;
  struct Applied {
    std::string revision;  ///< of its last apply without errors
    std::string from;      ///< the source it read ("" = the configured one)
  };
  std::map<std::string, Applied> applied_at_;  ///< by pipeline
  /// What targets() worked out for a pipeline of one spec and folder.
  struct KnownTarget {
    std::shared_ptr<const PipelineSpec> declared;  ///< holds a declared spec, so no other spec gets its address
    const PipelineSpec* spec = nullptr;
    std::string path;
    std::map<std::string, std::string> labels;
    std::string cluster;
  };
  std::mutex targets_mutex_;  ///< guards known_targets_
  std::map<std::string, KnownTarget> known_targets_;  ///< by pipeline, of the pipelines targets() last listed
};

}  // namespace driftless::core
