#include "pipeline/engine.hpp"

#include <exception>
#include <set>

#include "config/plugin_blocks.hpp"
#include "log/logging.hpp"
#include "pipeline/render_checks.hpp"

namespace driftless::core {

struct Engine::SourceState {
  std::mutex fetching;  ///< one fetch of a source at a time
  std::unique_ptr<Source> instance;
  std::shared_ptr<const Artifact> last_good;  ///< shared: runs read it without copying its folder ids
  std::optional<Error> last_error;
};

struct Engine::Expanded {
  const PipelineSpec* spec = nullptr;
  std::string name;
  std::string folder;  ///< basename of the matched folder ("" without forEachFolder)
  std::string path;
};

struct Engine::Expansion {
  std::shared_ptr<const Artifact> artifact;  ///< what it was expanded from
  std::vector<Expanded> pipelines;
  std::vector<Diagnostic> problems;
};

Engine::Engine(const Config& config, const PluginRegistry& registry, EngineOptions options)
    : config_(config), registry_(registry), options_(std::move(options)) {
  services_.registry = &registry_;
  services_.state_dir = options_.state_dir;
  services_.stop = options_.stop;
}

Engine::~Engine() { stop_watches(); }

Engine::SourceState& Engine::source_state(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = sources_[name];
  if (!slot) slot = std::make_unique<SourceState>();
  return *slot;
}

namespace {

Diagnostic error_at(const Location& where, std::string message) {
  return Diagnostic{Severity::error, std::move(message), where.file, where.line, {}};
}

// Runs plugin code; a C++ exception that escapes it becomes a diagnostic.
template <class F>
bool guarded(F&& call, const std::string& what, std::vector<Diagnostic>& out) {
  try {
    call();
    return true;
  } catch (const std::exception& e) {
    out.push_back({Severity::error, what + " failed unexpectedly: " + e.what(), {}, 0, {}});
  } catch (...) {
    out.push_back({Severity::error, what + " failed unexpectedly", {}, 0, {}});
  }
  return false;
}

// The sinks' allowEmpty says an empty set is what the user wants.
bool sink_allows_empty(const PipelineSpec& spec) {
  const Value* allow = spec.sink.config.find("allowEmpty");
  return allow && allow->is_bool() && allow->as_bool();
}

}  // namespace

std::shared_ptr<const Engine::Expansion> Engine::expand(const PipelineSpec& spec,
                                                        const std::shared_ptr<const Artifact>& artifact) {
  {
    std::lock_guard lock(mutex_);
    auto it = expansions_.find(&spec);
    if (it != expansions_.end() && it->second->artifact == artifact) return it->second;
  }
  // Once per revision: a thousand folder pipelines must not list the folders
  // of the artifact once per run each.
  auto out = std::make_shared<Expansion>();
  out->artifact = artifact;
  if (spec.for_each_folder.empty()) {
    std::error_code ec;
    if (!spec.path.empty() && !std::filesystem::is_directory(artifact->root / spec.path, ec))
      out->problems.push_back(error_at(spec.location, "pipeline '" + spec.name + "': path '" + spec.path +
                                                          "' is not a folder of source '" + spec.source + "' at " +
                                                          artifact->revision));
    out->pipelines.push_back({&spec, spec.name, "", spec.path});
  } else {
    for (const auto& path : match_folders(artifact->root, spec.for_each_folder)) {
      if (has_control_characters(path)) {
        // Its name would split log lines and the state files' lines.
        out->problems.push_back({Severity::warning,
                                 "the folder '" + escape_control_characters(path) + "' matches forEachFolder '" +
                                     spec.for_each_folder + "' but its name holds a control character, so it is not made "
                                     "a pipeline; rename it",
                                 {}, 0, {}});
        continue;
      }
      std::string folder = std::filesystem::path(path).filename().string();
      out->pipelines.push_back({&spec, expand_templates(spec.name, folder, path), folder, path});
    }
  }
  std::lock_guard lock(mutex_);
  expansions_[&spec] = out;
  return out;
}

FetchOutcome Engine::fetch(const std::string& name) {
  const auto started = std::chrono::steady_clock::now();
  FetchOutcome outcome;
  outcome.source = name;
  const SourceSpec* spec = config_.find_source(name);
  if (!spec) {
    outcome.error = fail(ErrorCode::not_found, "no source named '" + name + "'");
    return outcome;
  }
  SourceState& source = source_state(name);
  std::lock_guard fetching(source.fetching);
  std::shared_ptr<const Artifact> previous;
  {
    std::lock_guard lock(mutex_);
    previous = source.last_good;
  }
  Result<Artifact> artifact = fail(ErrorCode::internal, "no result");
  if (!source.instance) {
    auto created = registry_.source(spec->plugin.type)->create(spec->plugin.config);
    if (created.ok()) source.instance = std::move(*created);
    else artifact = created.error();
  }
  if (source.instance) {
    CoreContext context(services_, "", spec->plugin.type, options_.timeout);
    std::vector<Diagnostic> crash;
    guarded([&] { artifact = source.instance->fetch(context, previous.get()); },
            "source '" + name + "'", crash);
    if (!crash.empty()) artifact = fail(ErrorCode::internal, crash.front().message);
  }
  std::lock_guard lock(mutex_);
  if (artifact.ok()) {
    outcome.changed = !previous || previous->revision != artifact->revision;
    // The same revision in the same place keeps its artifact, and with it the
    // pipelines expanded from it: an unchanged fetch lists no folders again.
    if (outcome.changed || previous->root != artifact->root)
      source.last_good = std::make_shared<const Artifact>(std::move(*artifact));
    source.last_error.reset();
  } else {
    source.last_error = artifact.error();
    outcome.error = artifact.error();
  }
  if (source.last_good) {
    outcome.revision = source.last_good->revision;
    outcome.metadata = source.last_good->metadata;
  }
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return outcome;
}

std::set<std::string> Engine::untouched(const std::string& source, const std::vector<std::string>& pipelines) {
  std::set<std::string> out;
  std::lock_guard lock(mutex_);
  auto it = sources_.find(source);
  if (it == sources_.end() || !it->second->last_good) return out;
  for (const auto& name : pipelines)
    if (render_cache_.untouched(name, *it->second->last_good)) out.insert(name);
  return out;
}

std::shared_ptr<const Artifact> Engine::last_good(const std::string& source) {
  std::lock_guard lock(mutex_);
  auto it = sources_.find(source);
  return it == sources_.end() ? nullptr : it->second->last_good;
}

std::vector<std::shared_ptr<const Engine::Expansion>> Engine::current_expansions() {
  std::vector<std::shared_ptr<const Expansion>> out;
  for (const auto& spec : config_.pipelines) {
    if (spec.for_each_folder.empty()) {
      out.push_back(std::make_shared<const Expansion>(Expansion{nullptr, {{&spec, spec.name, "", spec.path}}, {}}));
    } else if (auto artifact = last_good(spec.source)) {
      out.push_back(expand(spec, artifact));
    }
  }
  return out;
}

std::vector<Engine::Expanded> Engine::current_pipelines() {
  std::vector<Expanded> out;
  for (const auto& expansion : current_expansions())
    out.insert(out.end(), expansion->pipelines.begin(), expansion->pipelines.end());
  return out;
}

std::vector<PipelineTarget> Engine::targets() {
  std::vector<PipelineTarget> out;
  for (const auto& pipeline : current_pipelines()) {
    const PipelineSpec& spec = *pipeline.spec;
    out.push_back({pipeline.name, spec.source, spec.interval.value_or(config_.find_source(spec.source)->interval),
                   spec.for_each_folder.empty() ? "" : pipeline.path});
  }
  return out;
}

std::vector<PipelineRun> Engine::run(RunStage stage, const std::optional<std::string>& only, bool fetch_sources) {
  std::vector<PipelineRun> runs;
  std::set<std::string> fetched;
  std::set<std::string> names;
  for (const auto& spec : config_.pipelines) {
    // A fixed name that is not the one asked for needs no fetch at all.
    if (only && spec.for_each_folder.empty() && spec.name != *only) continue;
    const SourceSpec* source_spec = config_.find_source(spec.source);
    SourceState& source = source_state(spec.source);
    bool have_artifact;
    {
      std::lock_guard lock(mutex_);
      have_artifact = source.last_good != nullptr;
    }
    if (!fetched.count(spec.source) && (fetch_sources || !have_artifact)) {
      fetched.insert(spec.source);
      fetch(spec.source);
    }
    std::shared_ptr<const Artifact> artifact;
    std::optional<Error> error;
    {
      std::lock_guard lock(mutex_);
      artifact = source.last_good;
      error = source.last_error;
    }
    if (error && (fetch_sources || !artifact)) {
      // Nothing lost: a failed fetch renders and applies nothing, prunes nothing.
      PipelineRun failed;
      failed.pipeline = spec.name;
      failed.diagnostics.push_back(error_at(source_spec->location, "source '" + spec.source + "' could not be fetched (" +
                                                                       to_string(error->code) + "): " + error->message));
      if (!only || spec.name == *only || !spec.for_each_folder.empty()) runs.push_back(std::move(failed));
      continue;
    }
    const auto expansion = expand(spec, artifact);
    for (const auto& pipeline : expansion->pipelines) {
      if (only && pipeline.name != *only) continue;
      if (!names.insert(pipeline.name).second) {
        PipelineRun clash;
        clash.pipeline = pipeline.name;
        clash.diagnostics.push_back(error_at(spec.location, "two pipelines are named '" + pipeline.name + "'"));
        runs.push_back(std::move(clash));
        continue;
      }
      if (has_errors(expansion->problems)) {
        PipelineRun bad;
        bad.pipeline = pipeline.name;
        bad.diagnostics = expansion->problems;
        runs.push_back(std::move(bad));
        continue;
      }
      runs.push_back(run_one(pipeline, *artifact, stage, expansion->problems));
    }
  }
  if (only && runs.empty()) {
    std::string known;
    for (const auto& spec : config_.pipelines) known += (known.empty() ? "" : ", ") + spec.name;
    PipelineRun missing;
    missing.pipeline = *only;
    missing.diagnostics.push_back({Severity::error, "no pipeline named '" + *only + "' (configured: " + known + ")",
                                   config_.file.string(), 0, {}});
    runs.push_back(std::move(missing));
  }
  return runs;
}

const std::vector<KubeObject>& PipelineRun::objects() const {
  static const std::vector<KubeObject> none;
  return rendered ? *rendered : none;
}

RenderResult Engine::render_chain(const Expanded& pipeline, const Artifact& artifact,
                                  const std::vector<RenderCache::Stage>& stages, const ClusterInfo* cluster) {
  const auto& blocks = pipeline.spec->renderers;
  RenderResult chain;
  for (std::size_t i = 0; i < stages.size() && !has_errors(chain.diagnostics); ++i) {
    // Findings name their stage: the same file may pass through several renderers.
    const std::string stage = "renderer '" + blocks[i].type + "' (stage " + std::to_string(i + 1) + " of " +
                              std::to_string(stages.size()) + ")";
    auto created = stages[i].factory->create(*stages[i].config);
    if (!created.ok()) {
      chain.diagnostics.push_back(error_at(blocks[i].location, stage + ": " + created.error().message));
      break;
    }
    CoreContext context(services_, pipeline.name, blocks[i].type, options_.timeout);
    context.set_cluster_info(cluster);
    RenderResult result;
    RenderRequest request{artifact, pipeline.path, std::move(chain.objects)};
    guarded([&] { result = (*created)->render(context, std::move(request)); }, stage, chain.diagnostics);
    for (auto& d : result.diagnostics) {
      d.message = stage + ": " + d.message;
      chain.diagnostics.push_back(std::move(d));
    }
    for (auto& folder : result.read_folders) chain.read_folders.push_back(std::move(folder));
    chain.cacheable = chain.cacheable && result.cacheable;
    for (auto& work : result.after_apply) chain.after_apply.push_back(std::move(work));
    if (result.valid_for.count() > 0 && (chain.valid_for.count() == 0 || result.valid_for < chain.valid_for))
      chain.valid_for = result.valid_for;
    chain.objects = std::move(result.objects);
  }
  return chain;
}

PipelineRun Engine::run_one(const Expanded& pipeline, const Artifact& artifact, RunStage stage,
                            const std::vector<Diagnostic>& warnings) {
  const auto started = std::chrono::steady_clock::now();
  PipelineRun run;
  run.pipeline = pipeline.name;
  run.revision = artifact.revision;
  run.metadata = artifact.metadata;
  run.diagnostics = warnings;
  SinkSlot* slot = nullptr;
  std::vector<Diagnostic> after_apply_errors;
  auto finish = [&]() -> PipelineRun {
    // The sink records the failures of its own sync; it hears of the others here.
    if (stage == RunStage::apply && slot) {
      std::vector<Diagnostic> errors;
      for (const auto* set : {&run.diagnostics, &after_apply_errors})
        for (const auto& d : *set)
          if (d.severity == Severity::error) errors.push_back(d);
      if (!errors.empty()) report_to_sink(pipeline.name, *slot, errors);
    }
    // The one place diagnostics are capped: whatever prints, logs or serves them gets the same short list.
    run.diagnostics_dropped = cap_diagnostics(run.diagnostics, kMaxDiagnostics);
    const std::size_t room = kMaxDiagnostics - std::min(kMaxDiagnostics, run.diagnostics.size());
    run.diagnostics_dropped += cap_diagnostics(run.sink.diagnostics, room);
    run.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return std::move(run);
  };

  // The sink first: it may know facts about the cluster that renderers use.
  const ClusterInfo* cluster = nullptr;
  if (stage != RunStage::render) {
    slot = sink_for(pipeline, run.diagnostics);
    if (!slot) return finish();
    if (slot->facts) {
      CoreContext context(services_, pipeline.name, slot->type, options_.timeout);
      guarded([&] { slot->cluster = slot->facts->cluster_info(context); }, "sink '" + slot->type + "'", run.diagnostics);
    }
    if (slot->cluster) cluster = &*slot->cluster;
  }

  const auto& blocks = pipeline.spec->renderers;
  std::vector<Value> configs;
  std::vector<RenderCache::Stage> stages;
  for (const auto& block : blocks) configs.push_back(expand_templates(block.config, pipeline.folder, pipeline.path));
  for (std::size_t i = 0; i < blocks.size(); ++i)
    stages.push_back({blocks[i].type, &configs[i], registry_.renderer(blocks[i].type)});
  const std::string chain = render_cache_.chain_key(stages, cluster);
  std::shared_ptr<const RenderResult> rendered = render_cache_.find(pipeline.name, chain, artifact);
  run.render_reused = rendered != nullptr;
  run.render_ran = !run.render_reused;
  if (!rendered) {
    auto fresh = std::make_shared<RenderResult>(render_chain(pipeline, artifact, stages, cluster));
    if (!has_errors(fresh->diagnostics) && fresh->objects.empty() && fresh->after_apply.empty())
      check_not_empty(artifact, pipeline.path, sink_allows_empty(*pipeline.spec), fresh->diagnostics);
    if (!has_errors(fresh->diagnostics)) check_objects(fresh->objects, fresh->diagnostics);
    rendered = fresh;
    render_cache_.store(pipeline.name, chain, artifact, pipeline.path, rendered);
  }
  for (const auto& d : rendered->diagnostics) run.diagnostics.push_back(d);
  if (has_errors(run.diagnostics)) return finish();
  run.rendered = std::shared_ptr<const std::vector<KubeObject>>(rendered, &rendered->objects);
  if (stage == RunStage::render) return finish();

  const std::string& type = pipeline.spec->sink.type;
  CoreContext context(services_, pipeline.name, type, options_.timeout);
  context.set_cluster_info(cluster);
  SinkRequest request{*run.rendered, stage == RunStage::apply ? SinkMode::apply : SinkMode::diff, run.rendered};
  guarded([&] { run.sink = slot->instance->sync(context, request); }, "sink '" + type + "'", run.diagnostics);
  if (!run.ok()) return finish();  // after-apply work needs its objects in place
  run_after_apply(pipeline, *rendered, *slot, request.mode, run, after_apply_errors);
  return finish();
}

void Engine::run_after_apply(const Expanded& pipeline, const RenderResult& rendered, SinkSlot& slot, SinkMode mode,
                             PipelineRun& run, std::vector<Diagnostic>& errors) {
  if (rendered.after_apply.empty()) return;
  // The config check makes this unreachable for the bundled plugins; a sink built elsewhere may still lack it.
  if (!slot.target_access) {
    run.diagnostics.push_back({Severity::error, "sink '" + slot.type + "' gives after-apply work no target; " +
                                                    std::to_string(rendered.after_apply.size()) + " step(s) did not run",
                               {}, 0, {}});
    return;
  }
  CoreContext sink_context(services_, pipeline.name, slot.type, options_.timeout);
  Target target;
  guarded([&] { target = slot.target_access->target(sink_context); }, "sink '" + slot.type + "' target", run.diagnostics);
  if (!run.ok()) return;
  for (const auto& work : rendered.after_apply) {
    CoreContext context(services_, pipeline.name, "after-apply", options_.timeout);
    context.set_cluster_info(slot.cluster ? &*slot.cluster : nullptr);
    SinkReport report;
    guarded([&] { report = work->run(context, target, mode); }, work->describe(), run.diagnostics);
    for (auto& change : report.changes) run.sink.changes.push_back(std::move(change));
    for (auto& d : report.diagnostics) {
      if (d.severity == Severity::error) errors.push_back(d);
      run.sink.diagnostics.push_back(std::move(d));
    }
    for (auto& item : report.items) run.sink.items.push_back(std::move(item));
    if (!run.ok()) break;  // later work may depend on this one
  }
}

Engine::SinkSlot* Engine::sink_for(const Expanded& pipeline, std::vector<Diagnostic>& problems) {
  std::lock_guard lock(sinks_mutex_);
  SinkSlot& slot = sinks_[pipeline.name];
  if (slot.instance) return &slot;
  const PluginBlock& block = pipeline.spec->sink;
  auto created = registry_.sink(block.type)->create(expand_templates(block.config, pipeline.folder, pipeline.path));
  if (!created.ok()) {
    problems.push_back(error_at(block.location, "sink '" + block.type + "': " + created.error().message));
    sinks_.erase(pipeline.name);
    return nullptr;
  }
  slot.type = block.type;
  slot.instance = std::move(*created);
  Sink& sink = *slot.instance;
  slot.facts = capability_of<ClusterFacts>(sink);
  slot.drift_watch = capability_of<DriftWatch>(sink);
  slot.leases = capability_of<Leases>(sink);
  slot.failure_reports = capability_of<FailureReports>(sink);
  slot.target_access = capability_of<TargetAccess>(sink);
  return &slot;
}

void Engine::start_watch(const std::string& pipeline, const WatchEvents& events) {
  // The sink is made here when no run made it yet, so that the first apply is
  // watched (and healed) while it still waits for health.
  if (!sink_for(pipeline)) return;
  std::lock_guard lock(sinks_mutex_);
  auto it = sinks_.find(pipeline);
  if (closing_ || it == sinks_.end() || !it->second.drift_watch || it->second.watch) return;
  SinkSlot& slot = it->second;
  // A watch lasts until it is stopped, not until a deadline.
  auto context = std::make_unique<CoreContext>(services_, pipeline, slot.type, std::chrono::hours(24 * 365));
  Result<void> result;
  std::vector<Diagnostic> crash;
  guarded([&] {
    DriftEvents drift{[drifted = events.drifted, pipeline](const std::string& reason) { drifted(pipeline, reason); },
                      [answers_again = events.answers_again, pipeline] { answers_again(pipeline); }};
    result = slot.drift_watch->watch(*context, std::move(drift));
  }, "sink '" + slot.type + "' watch", crash);
  if (!crash.empty()) result = fail(ErrorCode::internal, crash.front().message);
  if (!result.ok()) {
    context->logger().warn("drift watch failed; trying again before the next reconcile", {{"error", result.error().message}});
    return;
  }
  slot.watch = std::move(context);
}

void Engine::stop_watch(const std::string& pipeline) {
  std::lock_guard lock(sinks_mutex_);
  auto it = sinks_.find(pipeline);
  if (it == sinks_.end() || !it->second.watch) return;
  end_watch(it->second);
}

void Engine::stop_watches() {
  std::lock_guard lock(sinks_mutex_);
  closing_ = true;
  for (auto& [name, slot] : sinks_)
    if (slot.watch) end_watch(slot);
}

void Engine::end_watch(SinkSlot& slot) {
  std::vector<Diagnostic> crash;
  guarded([&] { slot.drift_watch->unwatch(); }, "sink '" + slot.type + "' unwatch", crash);
  slot.watch.reset();
}

std::optional<Engine::Expanded> Engine::find_expanded(const std::string& name) {
  for (const auto& expansion : current_expansions())
    for (const auto& pipeline : expansion->pipelines)
      if (pipeline.name == name) return pipeline;
  return std::nullopt;
}

Engine::SinkSlot* Engine::sink_for(const std::string& pipeline) {
  {
    std::lock_guard lock(sinks_mutex_);
    auto it = sinks_.find(pipeline);
    if (it != sinks_.end() && it->second.instance) return &it->second;
  }
  auto expanded = find_expanded(pipeline);
  std::vector<Diagnostic> ignored;  // the pipeline's next run reports them
  return expanded ? sink_for(*expanded, ignored) : nullptr;
}

Result<bool> Engine::hold_lease(const std::string& pipeline, const LeaseRequest& request) {
  SinkSlot* slot = sink_for(pipeline);
  if (!slot) return fail(ErrorCode::not_found, "pipeline '" + pipeline + "' has no sink (yet)");
  if (!slot->leases) return true;
  CoreContext context(services_, pipeline, slot->type, request.duration);
  Result<bool> held = false;
  std::vector<Diagnostic> crash;
  guarded([&] { held = slot->leases->hold_lease(context, request); }, "sink '" + slot->type + "' lease", crash);
  if (!crash.empty()) return fail(ErrorCode::internal, crash.front().message);
  return held;
}

void Engine::release_leases(const LeaseRequest& request) {
  std::vector<std::pair<std::string, SinkSlot*>> slots;
  {
    std::lock_guard lock(sinks_mutex_);
    for (auto& [name, slot] : sinks_)
      if (slot.leases) slots.emplace_back(name, &slot);
  }
  for (auto& [name, slot] : slots) {
    CoreContext context(services_, name, slot->type, request.duration);
    Result<void> released;
    std::vector<Diagnostic> crash;
    guarded([&] { released = slot->leases->release_lease(context, request); }, "sink '" + slot->type + "' lease", crash);
    if (!crash.empty() || !released.ok())
      context.logger().warn("lease not released; another replica takes over once it expires",
                            {{"error", crash.empty() ? released.error().message : crash.front().message}});
  }
}

void Engine::report_failure(const std::string& pipeline, const std::vector<Diagnostic>& errors) {
  if (SinkSlot* slot = sink_for(pipeline)) report_to_sink(pipeline, *slot, errors);
}

void Engine::report_to_sink(const std::string& pipeline, SinkSlot& slot, const std::vector<Diagnostic>& errors) {
  if (!slot.failure_reports) return;
  CoreContext context(services_, pipeline, slot.type, options_.timeout);
  std::vector<Diagnostic> crash;
  guarded([&] { slot.failure_reports->report_failure(context, errors); }, "sink '" + slot.type + "' failure report", crash);
  for (const auto& d : crash) context.logger().warn(d.message);
}

void Engine::drop_sink(const std::string& pipeline) {
  stop_watch(pipeline);
  std::lock_guard lock(sinks_mutex_);
  sinks_.erase(pipeline);
}

std::optional<Engine::Expanded> Engine::expansion_of(const std::string& pipeline, const std::string& source,
                                                    const std::string& folder_path) const {
  const std::string folder = std::filesystem::path(folder_path).filename().string();
  for (const auto& spec : config_.pipelines)
    if (spec.source == source && !spec.for_each_folder.empty() && folder_matches(spec.for_each_folder, folder_path) &&
        expand_templates(spec.name, folder, folder_path) == pipeline)
      return Expanded{&spec, pipeline, folder, folder_path};
  return std::nullopt;
}

Retirement Engine::retire(const std::string& pipeline, const std::string& source, const std::string& folder_path) {
  const auto started = std::chrono::steady_clock::now();
  Retirement out;
  PipelineRun& run = out.run;
  run.pipeline = pipeline;
  auto finish = [&]() -> Retirement {
    run.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return std::move(out);
  };
  auto warn = [&](std::string message) { run.diagnostics.push_back({Severity::warning, std::move(message), {}, 0, {}}); };
  const std::optional<Expanded> expanded = expansion_of(pipeline, source, folder_path);
  if (!expanded) {
    // The config changed under it: nobody said what to do with the objects, so they stay.
    warn("pipeline '" + pipeline + "' is no longer configured; its objects were left in place");
    drop_sink(pipeline);
    out.done = true;
    return finish();
  }
  const PipelineSpec& spec = *expanded->spec;
  const auto artifact = last_good(spec.source);
  std::error_code ec;
  if (!artifact || std::filesystem::is_directory(artifact->root / folder_path, ec)) {
    warn("the folder " + folder_path + " is in source '" + spec.source + "'; pipeline '" + pipeline + "' is not retired");
    return finish();  // not done: the caller decides again after the next fetch
  }
  run.revision = artifact->revision;
  run.metadata = artifact->metadata;
  const std::string gone = "the folder " + folder_path + " is no longer in source '" + spec.source + "' at " + artifact->revision;
  if (!spec.prune_on_folder_removal) {
    warn(gone + "; its objects were left in place (pruneOnFolderRemoval is off)");
    drop_sink(pipeline);
    render_cache_.forget(pipeline);
    out.done = true;
    return finish();
  }
  out.pruned = true;
  if (match_folders(artifact->root, spec.for_each_folder).empty()) {
    run.diagnostics.push_back(error_at(spec.location, gone + ", and no folder matches '" + spec.for_each_folder +
                                                          "' any more: that looks like a broken source, not a decision to "
                                                          "remove every folder, so nothing is pruned"));
    return finish();
  }
  SinkSlot* slot = sink_for(*expanded, run.diagnostics);
  if (!slot) return finish();
  const std::vector<KubeObject> nothing;
  SinkRequest request{nothing, SinkMode::apply};
  request.allow_empty = true;
  CoreContext context(services_, pipeline, slot->type, options_.timeout);
  context.logger().info(gone + "; pruning its objects (pruneOnFolderRemoval)");
  guarded([&] { run.sink = slot->instance->sync(context, request); }, "sink '" + slot->type + "'", run.diagnostics);
  if (!run.ok()) return finish();
  drop_sink(pipeline);
  render_cache_.forget(pipeline);
  out.done = true;
  return finish();
}

}  // namespace driftless::core
