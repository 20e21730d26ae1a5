#include "pipeline/engine.hpp"

#include "log/logging.hpp"
#include "pipeline/guarded.hpp"
#include "pipeline/render_checks.hpp"

namespace driftless::core {

Engine::Engine(const Config& config, const PluginRegistry& registry, EngineOptions options)
    : config_(config),
      registry_(registry),
      options_(std::move(options)),
      services_{&registry_, options_.state_dir, options_.stop, nullptr},
      sources_(config_, registry_, services_, options_.timeout),
      expansions_(config_),
      render_chain_(registry_, services_, options_.timeout),
      sinks_(registry_, services_, options_.timeout) {}

Engine::~Engine() { stop_watches(); }

FetchOutcome Engine::fetch(const std::string& source) { return sources_.fetch(source); }

std::set<std::string> Engine::untouched(const std::string& source, const std::vector<std::string>& pipelines) {
  std::set<std::string> out;
  const auto artifact = sources_.last_good(source);
  if (!artifact) return out;
  for (const auto& name : pipelines)
    if (render_chain_.untouched(name, *artifact)) out.insert(name);
  return out;
}

std::vector<PipelineTarget> Engine::targets() {
  std::vector<PipelineTarget> out;
  std::lock_guard lock(targets_mutex_);
  std::map<std::string, KnownTarget> known;
  for (const auto& pipeline : expansions_.current([this](const std::string& s) { return sources_.last_good(s); })) {
    const PipelineSpec& spec = *pipeline.spec;
    // The same spec and folder as last time: the same labels and cluster (a
    // pipeline declared anew has a new spec).
    auto last = known_targets_.find(pipeline.name);
    KnownTarget& target = known[pipeline.name];
    if (last != known_targets_.end() && last->second.spec == pipeline.spec && last->second.path == pipeline.path)
      target = std::move(last->second);
    else
      target = {pipeline.declared, pipeline.spec, pipeline.path, labels_of(pipeline), sink_target(pipeline)};
    out.push_back({pipeline.name, spec.source, spec.interval.value_or(config_.find_source(spec.source)->interval),
                   spec.retry_interval, spec.for_each_folder.empty() ? "" : pipeline.path, target.labels, target.cluster});
  }
  known_targets_ = std::move(known);
  return out;
}

std::string Engine::sink_target(const ExpandedPipeline& pipeline) const {
  const SinkFactory* factory = registry_.sink(pipeline.spec->sink.type);
  std::string target;
  std::vector<Diagnostic> problems;
  if (factory && !guarded([&] { target = factory->target(sink_config_of(pipeline)); },
                          "sink '" + pipeline.spec->sink.type + "'", problems))
    process_logger().warn("the sink's target is unknown", {{"pipeline", pipeline.name}, {"error", problems.front().message}});
  return target;
}

std::optional<ExpandedPipeline> Engine::find(const std::string& name) {
  for (auto& pipeline : expansions_.current([this](const std::string& s) { return sources_.last_good(s); }))
    if (pipeline.name == name) return std::move(pipeline);
  return std::nullopt;
}

std::vector<PipelineRun> Engine::run(RunStage stage, const std::optional<std::string>& only, bool fetch_sources) {
  std::vector<PipelineRun> runs;
  std::set<std::string> fetched;
  std::set<std::string> names;
  for (const auto& spec : config_.pipelines) {
    // A fixed name that is neither the one asked for nor a parent of it needs no fetch at all.
    const bool parent_of_only = only && only->rfind(spec.name + "/", 0) == 0;
    if (only && spec.for_each_folder.empty() && spec.name != *only && !parent_of_only) continue;
    if (!fetched.count(spec.source) && (fetch_sources || !sources_.last_good(spec.source))) {
      fetched.insert(spec.source);
      sources_.fetch(spec.source);
    }
    const auto [artifact, error] = sources_.current(spec.source);
    if (error && (fetch_sources || !artifact)) {
      // Nothing lost: a failed fetch renders and applies nothing, prunes nothing.
      PipelineRun failed;
      failed.pipeline = spec.name;
      failed.diagnostics.push_back(error_at(config_.find_source(spec.source)->location,
                                            "source '" + spec.source + "' could not be fetched (" +
                                                to_string(error->code) + "): " + error->message));
      if (!only || spec.name == *only || parent_of_only || !spec.for_each_folder.empty()) runs.push_back(std::move(failed));
      continue;
    }
    const auto expansion = expansions_.expand(spec, artifact);
    for (const auto& pipeline : expansion->pipelines)
      run_tree(pipeline, *artifact, "", stage, only, expansion->problems, names, runs);
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

void Engine::run_tree(const ExpandedPipeline& pipeline, const Artifact& artifact, const std::string& artifact_from,
                      RunStage stage, const std::optional<std::string>& only, const std::vector<Diagnostic>& problems,
                      std::set<std::string>& names, std::vector<PipelineRun>& runs) {
  const bool wanted = !only || pipeline.name == *only;
  if (!wanted && only->rfind(pipeline.name + "/", 0) != 0) return;
  // A declared pipeline with a source of its own reads that source's files,
  // and so do the pipelines it declares (they inherit the same source).
  const PipelineSpec& spec = *pipeline.spec;
  const std::string from = spec.declared_source ? Sources::declared_key(*spec.declared_source) : artifact_from;
  std::shared_ptr<const Artifact> own;
  if (from != artifact_from) {
    FetchOutcome fetched = sources_.fetch_declared(*spec.declared_source);
    if (fetched.error) {
      // Nothing lost: as with a configured source, a failed fetch applies and prunes nothing.
      PipelineRun failed;
      failed.pipeline = pipeline.name;
      failed.diagnostics.push_back({Severity::error,
                                    "the " + spec.declared_source->type + " source this pipeline reads could not be fetched (" +
                                        to_string(fetched.error->code) + "): " + fetched.error->message +
                                        "; nothing of it is applied or pruned",
                                    spec.location.file, spec.location.line, spec.declared_by});
      if (wanted) runs.push_back(std::move(failed));
      if (wanted && stage == RunStage::apply) record_applied(runs.back(), from);
      return;
    }
    own = sources_.last_good(fetched.source);
  }
  const Artifact& files = own ? *own : artifact;
  if (wanted) {
    if (!names.insert(pipeline.name).second) {
      PipelineRun clash;
      clash.pipeline = pipeline.name;
      clash.diagnostics.push_back(error_at(spec.location, "two pipelines are named '" + pipeline.name + "'"));
      runs.push_back(std::move(clash));
      return;
    }
    if (has_errors(problems)) {
      PipelineRun bad;
      bad.pipeline = pipeline.name;
      bad.diagnostics = problems;
      runs.push_back(std::move(bad));
      return;
    }
    runs.push_back(run_one(pipeline, files, from, stage, problems));
    if (stage == RunStage::apply) record_applied(runs.back(), from);
  }
  // Declared pipelines run after their parent, from its last good render.
  for (const auto& child : expansions_.children_of(pipeline.name))
    run_tree(child, files, from, stage, only, {}, names, runs);
}

const std::vector<KubeObject>& PipelineRun::objects() const {
  static const std::vector<KubeObject> none;
  return rendered ? *rendered : none;
}

PipelineRun Engine::run_one(const ExpandedPipeline& pipeline, const Artifact& artifact, const std::string& artifact_from,
                            RunStage stage, const std::vector<Diagnostic>& warnings) {
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
      if (!errors.empty()) sinks_.report_failure(pipeline.name, *slot, errors);
    }
    // The one place diagnostics are capped: whatever prints, logs or serves them gets the same short list.
    run.diagnostics_dropped = cap_diagnostics(run.diagnostics, kMaxDiagnostics);
    const std::size_t room = kMaxDiagnostics - std::min(kMaxDiagnostics, run.diagnostics.size());
    run.diagnostics_dropped += cap_diagnostics(run.sink.diagnostics, room);
    run.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return std::move(run);
  };

  const PipelineSpec& spec = *pipeline.spec;
  if (spec.suspended) {
    run.suspended = true;
    run.diagnostics.push_back({Severity::info, "suspended by " + spec.declared_by + " (spec.suspend); nothing is applied",
                               spec.location.file, spec.location.line, spec.declared_by});
    return finish();
  }
  if (stage == RunStage::apply) {
    run.waiting_for = unapplied_dependencies(spec, artifact.revision, artifact_from);
    if (!run.waiting_for.empty()) {
      std::string names;
      for (const auto& name : run.waiting_for) names += (names.empty() ? "'" : ", '") + name + "'";
      run.diagnostics.push_back({Severity::error,
                                 "waits for " + names + " (dependsOn) to be applied without errors at " + artifact.revision +
                                     "; nothing of this pipeline is applied or pruned until then",
                                 spec.location.file, spec.location.line, spec.declared_by});
      slot = sink_for(pipeline.name);  // whose failure report shows the wait where users look (a Kustomization's Ready)
      return finish();
    }
  }

  // The sink first: it may know facts about the cluster that renderers use.
  const ClusterInfo* cluster = nullptr;
  if (stage != RunStage::render) {
    slot = sinks_.slot_for(pipeline, run.diagnostics);
    if (!slot) return finish();
    cluster = sinks_.cluster_facts(pipeline.name, *slot, run.diagnostics);
  }

  Rendered rendered = render_chain_.render(pipeline, artifact, cluster);
  run.render_reused = rendered.reused;
  run.render_ran = !rendered.reused;
  if (rendered.declared) adopt(pipeline, std::move(*rendered.declared), run);
  run.declared = expansions_.children_of(pipeline.name).size();
  for (const auto& d : rendered.result->diagnostics) run.diagnostics.push_back(d);
  if (has_errors(run.diagnostics)) return finish();
  run.rendered = std::shared_ptr<const std::vector<KubeObject>>(rendered.result, &rendered.result->objects);
  if (stage == RunStage::render) return finish();

  SinkRequest request{*run.rendered, stage == RunStage::apply ? SinkMode::apply : SinkMode::diff, run.rendered};
  run.sink = sinks_.sync(pipeline.name, *slot, request, run.diagnostics);
  if (!run.ok()) return finish();  // after-apply work needs its objects in place
  sinks_.after_apply(pipeline.name, *slot, rendered.result->after_apply, request.mode, run.sink, run.diagnostics,
                     after_apply_errors);
  return finish();
}

void Engine::adopt(const ExpandedPipeline& pipeline, std::vector<PipelineSpec> declared, PipelineRun& run) {
  std::set<std::string> before;
  for (const auto& child : expansions_.children_of(pipeline.name)) before.insert(child.name);
  std::set<std::string> after;
  for (const auto& child : declared) after.insert(child.name);
  run.declared_changed = before != after;
  for (const auto& gone : expansions_.declare(pipeline, std::move(declared))) {
    // Like a removed folder without pruneOnFolderRemoval: a declaration that
    // went away decides nothing about the objects.
    run.diagnostics.push_back({Severity::warning,
                               "pipeline '" + gone + "' is no longer declared; its objects were left in place", {}, 0, {}});
    sinks_.drop(gone);
    render_chain_.forget(gone);
  }
}

std::vector<std::string> Engine::unapplied_dependencies(const PipelineSpec& spec, const std::string& revision,
                                                        const std::string& artifact_from) {
  std::vector<std::string> out;
  std::lock_guard lock(applied_mutex_);
  for (const auto& dependency : spec.depends_on) {
    // One source: applied at the same revision. Another source: its last run applied without errors.
    auto it = applied_at_.find(dependency);
    if (it == applied_at_.end() || (it->second.from == artifact_from && it->second.revision != revision))
      out.push_back(dependency);
  }
  return out;
}

void Engine::record_applied(const PipelineRun& run, const std::string& artifact_from) {
  std::lock_guard lock(applied_mutex_);
  if (run.ok() && !run.suspended && !run.revision.empty()) applied_at_[run.pipeline] = {run.revision, artifact_from};
  else applied_at_.erase(run.pipeline);
}

SinkSlot* Engine::sink_for(const std::string& pipeline) {
  if (SinkSlot* slot = sinks_.existing(pipeline)) return slot;
  auto expanded = find(pipeline);
  std::vector<Diagnostic> ignored;  // the pipeline's next run reports them
  return expanded ? sinks_.slot_for(*expanded, ignored) : nullptr;
}

void Engine::start_watch(const std::string& pipeline, const WatchEvents& events) {
  // The sink is made here when no run made it yet, so that the first apply is
  // watched (and healed) while it still waits for health.
  if (sink_for(pipeline)) sinks_.start_watch(pipeline, events);
}

void Engine::stop_watch(const std::string& pipeline) { sinks_.stop_watch(pipeline); }

void Engine::stop_watches() { sinks_.stop_watches(); }

Result<bool> Engine::hold_lease(const std::string& pipeline, const LeaseRequest& request) {
  // Every renew interval, for every pipeline of this replica: finding the pipeline again
  // (a walk over all of them) only when its sink is not made yet keeps a round linear.
  SinkSlot* slot = sinks_.existing(pipeline);
  if (!slot) slot = sink_for(pipeline);
  if (!slot) return fail(ErrorCode::not_found, "pipeline '" + pipeline + "' has no sink (yet)");
  return sinks_.hold_lease(pipeline, *slot, request);
}

Result<void> Engine::release_lease(const std::string& pipeline, const LeaseRequest& request) {
  return sinks_.release_lease(pipeline, request);
}

void Engine::release_leases(const LeaseRequest& request) { sinks_.release_leases(request); }

Result<std::vector<std::string>> Engine::members(const LeaseRequest& request) {
  const auto& membership = config_.high_availability.membership;
  if (!membership) return fail(ErrorCode::invalid_input, "highAvailability has no 'membership'");
  return sinks_.members(*membership, request);
}

void Engine::report_failure(const std::string& pipeline, const std::vector<Diagnostic>& errors) {
  if (SinkSlot* slot = sink_for(pipeline)) sinks_.report_failure(pipeline, *slot, errors);
}

void Engine::forget(const std::string& pipeline) {
  std::vector<std::string> gone = expansions_.forget_children(pipeline);
  gone.push_back(pipeline);
  for (const auto& name : gone) {
    sinks_.drop(name);
    render_chain_.forget(name);
    std::lock_guard lock(applied_mutex_);
    applied_at_.erase(name);
  }
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
  const std::optional<ExpandedPipeline> expanded = expansions_.folder_pipeline(pipeline, source, folder_path);
  if (!expanded) {
    // The config changed under it: nobody said what to do with the objects, so they stay.
    warn("pipeline '" + pipeline + "' is no longer configured; its objects were left in place");
    forget(pipeline);
    out.done = true;
    return finish();
  }
  const PipelineSpec& spec = *expanded->spec;
  const auto artifact = sources_.last_good(spec.source);
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
    forget(pipeline);
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
  SinkSlot* slot = sinks_.slot_for(*expanded, run.diagnostics);
  if (!slot) return finish();
  const std::vector<KubeObject> nothing;
  SinkRequest request{nothing, SinkMode::apply};
  request.allow_empty = true;
  CoreContext context(services_, pipeline, slot->type, options_.timeout);
  context.logger().info(gone + "; pruning its objects (pruneOnFolderRemoval)");
  run.sink = sinks_.sync(pipeline, *slot, request, run.diagnostics);
  if (!run.ok()) return finish();
  forget(pipeline);
  out.done = true;
  return finish();
}

}  // namespace driftless::core
