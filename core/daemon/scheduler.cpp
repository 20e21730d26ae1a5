#include "daemon/scheduler.hpp"

#include <malloc.h>

#include <fstream>
#include <random>
#include <sstream>

#include "log/logging.hpp"

namespace driftless::core {

std::vector<std::string> error_texts(const PipelineRun& run) {
  std::vector<std::string> out;
  for (const auto* set : {&run.diagnostics, &run.sink.diagnostics})
    for (const auto& d : *set)
      if (d.severity == Severity::error) out.push_back(format(d));
  return out;
}

namespace {

constexpr const char* kSuspendedFile = "suspended-pipelines";
constexpr const char* kFolderPipelinesFile = "folder-pipelines";  // name, source, folder: one line each, tab-separated

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

Labels pipeline_labels(const std::string& name) { return {{"pipeline", name}}; }

std::string fetch_error_text(const std::string& source, const Error& error, bool have_revision) {
  return "source '" + source + "' could not be fetched (" + to_string(error.code) + "): " + error.message +
         (have_revision ? "; the last good revision is kept" : "; nothing was fetched yet");
}

std::string first_warning(const PipelineRun& run) {
  for (const auto& d : run.diagnostics)
    if (d.severity == Severity::warning) return d.message;
  return {};
}

}  // namespace

std::string Scheduler::job_key(JobKind kind, const std::string& name) {
  // A retire and a reconcile of one pipeline never run together.
  return (kind == JobKind::fetch ? "fetch:" : "reconcile:") + name;
}

Scheduler::Scheduler(Engine& engine, const Config& config, Metrics& metrics, SchedulerOptions options)
    : engine_(engine),
      config_(config),
      metrics_(metrics),
      options_(std::move(options)),
      leadership_(engine, config.high_availability, metrics) {
  std::ifstream in(options_.state_dir / kSuspendedFile);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) suspended_.insert(line);
  std::ifstream folders(options_.state_dir / kFolderPipelinesFile);
  for (std::string line; std::getline(folders, line);) {
    std::istringstream fields(line);
    PipelineTarget known;
    if (std::getline(fields, known.name, '\t') && std::getline(fields, known.source, '\t') &&
        std::getline(fields, known.folder_path) && !known.folder_path.empty())
      folder_pipelines_[known.name] = known;
  }
  for (const auto& source : config_.sources) sources_[source.name];
  refresh_targets();
}

Scheduler::~Scheduler() {
  stop();
  leadership_.stop(false);  // its thread calls into this scheduler
}

void Scheduler::start() {
  leadership_.start([this](const std::string& pipeline, bool leads) { on_leadership(pipeline, leads); },
                    [this](const std::string& pipeline) {
                      std::lock_guard lock(mutex_);
                      return busy_.count(job_key(JobKind::reconcile, pipeline)) > 0;
                    });
  threads_.emplace_back([this] { loop(); });
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.concurrency); ++i) threads_.emplace_back([this] { work(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();  // queued work is dropped; running work finishes
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::chrono::steady_clock::duration Scheduler::jittered(std::chrono::milliseconds interval) {
  // +-10%, so that many pipelines with one interval don't fire together.
  thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval * factor(random));
}

void Scheduler::refresh_targets() {
  std::map<std::string, PipelineState> next;
  for (auto& target : engine_.targets()) {
    auto it = pipelines_.find(target.name);
    PipelineState state;
    if (it != pipelines_.end()) {
      state = std::move(it->second);
    } else {
      state.status.name = target.name;
      state.status.source = target.source;
    }
    state.status.suspended = suspended_.count(target.name) > 0;
    state.status.labels = target.labels;
    state.status.cluster = target.cluster;
    state.target = target;
    next[target.name] = std::move(state);
  }
  bool known_changed = false;
  for (auto it = folder_pipelines_.begin(); it != folder_pipelines_.end();) {
    const PipelineTarget& known = it->second;
    auto source = sources_.find(known.source);
    // Only a good artifact tells that a folder is gone; before the first fetch nothing does.
    if (next.count(known.name) || (source != sources_.end() && !source->second.fetched_once)) {
      ++it;
      continue;
    }
    process_logger().warn("pipeline removed: its folder left the source",
                          {{"pipeline", known.name}, {"folder", known.folder_path}, {"source", known.source}});
    metrics_.forget("pipeline", known.name);
    Removal removal;
    removal.target = known;
    if (auto old = pipelines_.find(known.name); old != pipelines_.end()) removal.status = old->second.status;
    removal.status.name = known.name;
    removal.status.source = known.source;
    removal.status.state = "removing";
    removal.status.errors.clear();
    removed_[known.name] = std::move(removal);
    it = folder_pipelines_.erase(it);
    known_changed = true;
  }
  for (const auto& [name, state] : next) {
    if (state.target.folder_path.empty()) continue;
    removed_.erase(name);  // the folder came back
    auto known = folder_pipelines_.find(name);
    if (known != folder_pipelines_.end() && known->second.folder_path == state.target.folder_path &&
        known->second.source == state.target.source)
      continue;
    folder_pipelines_[name] = state.target;
    known_changed = true;
  }
  if (known_changed) save_folder_pipelines();
  pipelines_ = std::move(next);
}

void Scheduler::save_folder_pipelines() {
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  const auto file = options_.state_dir / kFolderPipelinesFile;
  auto temp = file;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const auto& [name, known] : folder_pipelines_) out << name << '\t' << known.source << '\t' << known.folder_path << '\n';
    if (!out) return;
  }
  std::filesystem::rename(temp, file, ec);
}

void Scheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    auto enqueue = [&](JobKind kind, const std::string& name) {
      if (!busy_.insert(job_key(kind, name)).second) return;
      queue_.push_back({kind, name});
    };
    for (auto& [name, source] : sources_)
      if (source.next_fetch <= now) enqueue(JobKind::fetch, name);
    for (auto& [name, p] : pipelines_) {
      if (p.status.suspended || !sources_[p.target.source].fetched_once || !leadership_.leads(name)) continue;
      if (p.triggered || p.due <= now) enqueue(JobKind::reconcile, name);
    }
    for (auto& [name, removal] : removed_)
      if (!removal.done && removal.due <= now) enqueue(JobKind::retire, name);
    if (!queue_.empty()) wake_.notify_all();
    wake_.wait_for(lock, std::chrono::milliseconds(200));
  }
}

void Scheduler::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      // Fetches first: a new revision should reach every pipeline quickly.
      auto it = std::find_if(queue_.begin(), queue_.end(), [](const Job& j) { return j.kind == JobKind::fetch; });
      if (it == queue_.end()) it = queue_.begin();
      job = *it;
      queue_.erase(it);
      if (auto p = pipelines_.find(job.name); job.kind == JobKind::reconcile && p != pipelines_.end())
        p->second.triggered = false;
    }
    if (job.kind == JobKind::fetch) do_fetch(job.name);
    else if (job.kind == JobKind::reconcile) do_reconcile(job.name);
    else do_retire(job.name);
#ifdef __GLIBC__
    // A render of thousands of objects frees tens of MiB in this worker's own
    // malloc arena, which glibc keeps; give it back so idle workers hold nothing.
    malloc_trim(0);
#endif
    std::lock_guard lock(mutex_);
    busy_.erase(job_key(job.kind, job.name));
    wake_.notify_all();
  }
}

void Scheduler::do_fetch(const std::string& source) {
  FetchOutcome outcome = engine_.fetch(source);
  metrics_.observe("driftless_source_fetch_duration_seconds", {{"source", source}}, seconds(outcome.duration));
  if (outcome.error) {
    metrics_.count("driftless_source_fetch_failures_total", {{"source", source}});
    process_logger().error("fetch failed; the last good revision is kept",
                           {{"source", source}, {"error", outcome.error->message}, {"revision", outcome.revision}});
    report_fetch_failure(source, *outcome.error);
  } else if (outcome.changed) {
    process_logger().info("new revision", {{"source", source}, {"revision", outcome.revision}});
  }
  std::lock_guard lock(mutex_);
  const SourceSpec* spec = config_.find_source(source);
  SourceState& state = sources_[source];
  state.next_fetch = std::chrono::steady_clock::now() + jittered(spec->interval);
  state.attempted = true;
  state.error = outcome.error ? fetch_error_text(source, *outcome.error, !outcome.revision.empty()) : "";
  if (outcome.revision.empty()) return;  // nothing to reconcile yet
  state.fetched_once = true;
  if (!outcome.changed) return;
  refresh_targets();
  leadership_.wake();  // new pipelines need their leases
  std::vector<std::string> ready;
  for (const auto& [name, p] : pipelines_)
    if (p.target.source == source && p.status.state == "ready") ready.push_back(name);
  // Work proportional to the change: a pipeline whose folders the commit did
  // not touch is already equal to it (its drift is the watches' business).
  const std::set<std::string> untouched = engine_.untouched(source, ready);
  for (auto& [name, p] : pipelines_) {
    if (p.target.source != source) continue;
    if (untouched.count(name)) record_revision(p.status, outcome.revision, outcome.metadata);
    else p.triggered = true;
  }
  if (!untouched.empty())
    process_logger().info("pipelines not touched by the new revision", {{"source", source}, {"untouched", std::to_string(untouched.size())}});
}

void Scheduler::record_revision(PipelineStatus& status, const std::string& revision,
                                const std::map<std::string, std::string>& metadata) {
  status.revision_info.clear();
  for (const char* key : {"url", "commit", "author", "message"})
    if (auto m = metadata.find(key); m != metadata.end()) status.revision_info[key] = m->second;
  if (status.revision != revision && !status.revision.empty()) metrics_.forget("revision", status.revision);
  status.revision = revision;
  metrics_.set("driftless_pipeline_info", {{"pipeline", status.name}, {"revision", revision}}, 1);
}

void Scheduler::report_fetch_failure(const std::string& source, const Error& error) {
  std::vector<std::string> affected;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, p] : pipelines_)
      if (p.target.source == source && !p.status.suspended && leadership_.leads(name)) affected.push_back(name);
  }
  const std::vector<Diagnostic> errors{{Severity::error, fetch_error_text(source, error, true), {}, 0, {}}};
  for (const auto& name : affected) engine_.report_failure(name, errors);
}

void Scheduler::on_leadership(const std::string& pipeline, bool leads) {
  if (leads) {
    reconcile_now(pipeline, "this replica took the lease");
    return;
  }
  // Another replica acts on it now: its drift is no longer ours to heal.
  std::lock_guard lock(watch_mutex_);
  engine_.stop_watch(pipeline);
}

void Scheduler::do_reconcile(const std::string& pipeline) {
  PipelineStatus before;
  {
    std::lock_guard lock(mutex_);
    auto it = pipelines_.find(pipeline);
    if (it == pipelines_.end()) return;
    if (!leadership_.leads(pipeline)) {
      // Not leading just now (a lease lapsed between renewals, or another replica has it): the
      // request stays, and runs once this replica leads again.
      it->second.triggered = true;
      return;
    }
    before = it->second.status;
  }
  // Sinks that can watch their target report drift; it is healed by reconciling
  // at once. Started before the run, so a first apply is healed while it waits
  // for health.
  {
    std::lock_guard lock(watch_mutex_);
    if (leadership_.leads(pipeline))
      engine_.start_watch(pipeline, {[this](const std::string& drifted, const std::string& reason, bool healed) {
                                       metrics_.count("driftless_drift_events_total", pipeline_labels(drifted));
                                       if (drift_listener_) drift_listener_(drifted, reason, healed);
                                       if (healed) {
                                         process_logger().info("drift healed by the sink", {{"pipeline", drifted}, {"reason", reason}});
                                         return;
                                       }
                                       process_logger().info("drift detected", {{"pipeline", drifted}, {"reason", reason}});
                                       reconcile_now(drifted, "drift: " + reason);
                                     },
                                     [this](const std::string& answering) {
                                       retry_now_if_failed(answering, "its target answers again");
                                     }});
  }
  auto runs = engine_.run(RunStage::apply, pipeline, false);
  PipelineRun& run = runs.front();
  const bool ok = run.ok();
  const auto labels = pipeline_labels(pipeline);
  metrics_.observe("driftless_reconcile_duration_seconds", labels, seconds(run.duration));
  const char* result = run.suspended ? "suspended" : !run.waiting_for.empty() ? "waiting" : ok ? "success" : "failure";
  metrics_.count("driftless_reconciles_total", {{"pipeline", pipeline}, {"result", result}});
  std::size_t applied = 0, pruned = 0;
  for (const auto& c : run.sink.changes) {
    applied += c.action == ChangeAction::created || c.action == ChangeAction::configured;
    pruned += c.action == ChangeAction::pruned;
  }
  metrics_.count("driftless_objects_applied_total", labels, static_cast<double>(applied));
  metrics_.count("driftless_objects_pruned_total", labels, static_cast<double>(pruned));
  metrics_.set("driftless_pipeline_ready", labels, ok && !run.suspended ? 1 : 0);
  if (run.render_ran) metrics_.count("driftless_renders_total", labels);
  if (run.render_reused) metrics_.count("driftless_render_cache_hits_total", labels);

  PipelineStatus after;
  {
    std::lock_guard lock(mutex_);
    if (run.declared_changed) {
      // Pipelines its render declares came or went: scheduled (and leased) like any other from now on.
      refresh_targets();
      leadership_.wake();
    }
    auto it = pipelines_.find(pipeline);
    if (it == pipelines_.end()) return;
    PipelineState& state = it->second;
    PipelineStatus& s = state.status;
    const auto now = std::chrono::steady_clock::now();
    s.last_attempt = std::chrono::system_clock::now();
    s.attempted_revision = run.revision;
    s.duration_ms = run.duration.count();
    s.objects = run.objects().size();
    s.errors = error_texts(run);
    s.message = first_warning(run);
    // A run that failed before its after-apply work ran reports no items: the last ones still describe the target.
    if (ok || !run.sink.items.empty()) s.items = run.sink.items;
    if (run.suspended) {
      s.state = "suspended";
      s.message = "suspended by its declaration";
      state.due = now + jittered(state.target.interval);
    } else if (!run.waiting_for.empty()) {
      // Not a failure: no backoff; the dependency's success wakes it sooner.
      s.state = "waiting";
      state.due = now + options_.first_backoff;
    } else if (ok) {
      record_revision(s, run.revision, run.metadata);
      s.last_success = s.last_attempt;
      s.failures = 0;
      s.state = "ready";
      state.due = now + jittered(state.target.interval);
      wake_waiting();
    } else {
      ++s.failures;
      s.state = "failed";
      // Its retryInterval, else exponential backoff, capped; failures never prune (the engine and sinks see to that).
      if (state.target.retry_interval) {
        state.due = now + jittered(*state.target.retry_interval);
      } else {
        auto backoff = options_.first_backoff * (1LL << std::min(s.failures - 1, 16));
        state.due = now + std::min<std::chrono::milliseconds>(backoff, options_.max_backoff);
      }
    }
    s.next_attempt = std::chrono::system_clock::now() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(state.due - now);
    after = s;
  }
  if (listener_) listener_(run, before, after);
}

void Scheduler::do_retire(const std::string& pipeline) {
  PipelineTarget target;
  {
    std::lock_guard lock(mutex_);
    auto it = removed_.find(pipeline);
    if (it == removed_.end() || it->second.done) return;
    target = it->second.target;
  }
  Retirement retired = engine_.retire(pipeline, target.source, target.folder_path);
  const PipelineRun& run = retired.run;
  std::size_t pruned = 0;
  for (const auto& c : run.sink.changes) pruned += c.action == ChangeAction::pruned;
  PipelineStatus before, after;
  {
    std::lock_guard lock(mutex_);
    auto it = removed_.find(pipeline);
    if (it == removed_.end()) return;  // the folder came back meanwhile
    Removal& removal = it->second;
    PipelineStatus& s = removal.status;
    before = s;
    s.last_attempt = std::chrono::system_clock::now();
    s.duration_ms = run.duration.count();
    s.errors = error_texts(run);
    const auto now = std::chrono::steady_clock::now();
    if (retired.done) {
      s.state = "removed";
      s.failures = 0;
      s.objects = 0;
      s.message = retired.pruned ? "its folder left the source; " + std::to_string(pruned) + " objects pruned"
                                 : first_warning(run);
      removal.done = true;
      if (retired.pruned) process_logger().info("pipeline retired; its objects were pruned", {{"pipeline", pipeline}, {"pruned", std::to_string(pruned)}});
      else process_logger().warn(s.message, {{"pipeline", pipeline}});
    } else if (run.ok()) {
      removal.due = now + options_.first_backoff;  // the folder is back; the next fetch sorts it out
    } else {
      ++s.failures;
      s.state = "failed";
      auto backoff = options_.first_backoff * (1LL << std::min(s.failures - 1, 16));
      removal.due = now + std::min<std::chrono::milliseconds>(backoff, options_.max_backoff);
    }
    after = s;
  }
  if (retired.pruned && listener_) listener_(run, before, after);
}

void Scheduler::wake_waiting() {
  bool any = false;
  for (auto& [name, state] : pipelines_)
    if (state.status.state == "waiting" && !state.triggered) any = state.triggered = true;
  if (any) wake_.notify_all();
}

void Scheduler::retry_now_if_failed(const std::string& pipeline, const std::string& reason) {
  std::lock_guard lock(mutex_);
  auto it = pipelines_.find(pipeline);
  if (it == pipelines_.end() || it->second.status.state != "failed" || it->second.triggered) return;
  it->second.triggered = true;
  process_logger().info("reconcile requested", {{"pipeline", pipeline}, {"reason", reason}});
  wake_.notify_all();
}

Result<PipelineRun> Scheduler::diff(const std::string& pipeline, std::chrono::seconds wait) {
  const std::string key = job_key(JobKind::reconcile, pipeline);
  {
    std::unique_lock lock(mutex_);
    if (!pipelines_.count(pipeline)) return fail(ErrorCode::not_found, "no pipeline named '" + pipeline + "'");
    if (!wake_.wait_for(lock, wait, [&] { return stopping_ || !busy_.count(key); }) || stopping_)
      return fail(ErrorCode::unavailable, "pipeline '" + pipeline + "' is being reconciled; try again in a moment");
    busy_.insert(key);  // the loop queues no reconcile of it meanwhile
  }
  auto runs = engine_.run(RunStage::diff, pipeline, false);
  std::lock_guard lock(mutex_);
  busy_.erase(key);
  wake_.notify_all();
  for (auto& run : runs)
    if (run.pipeline == pipeline) return std::move(run);
  return fail(ErrorCode::not_found, "pipeline '" + pipeline + "' is not in its source's current revision");
}

bool Scheduler::reconcile_now(const std::string& pipeline, const std::string& reason) {
  std::lock_guard lock(mutex_);
  auto it = pipelines_.find(pipeline);
  if (it == pipelines_.end()) return false;
  it->second.triggered = true;
  process_logger().info("reconcile requested", {{"pipeline", pipeline}, {"reason", reason}});
  wake_.notify_all();
  return true;
}

void Scheduler::fetch_now(const std::vector<std::string>& sources) {
  std::lock_guard lock(mutex_);
  for (auto& [name, state] : sources_)
    if (sources.empty() || std::find(sources.begin(), sources.end(), name) != sources.end())
      state.next_fetch = std::chrono::steady_clock::time_point{};
  wake_.notify_all();
}

void Scheduler::save_suspended() {
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  std::ofstream out(options_.state_dir / kSuspendedFile, std::ios::trunc);
  for (const auto& name : suspended_) out << name << "\n";
}

bool Scheduler::suspend(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  auto it = pipelines_.find(pipeline);
  if (it == pipelines_.end()) return false;
  suspended_.insert(pipeline);
  it->second.status.suspended = true;
  metrics_.set("driftless_pipeline_suspended", pipeline_labels(pipeline), 1);
  save_suspended();
  return true;
}

bool Scheduler::resume(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  auto it = pipelines_.find(pipeline);
  if (it == pipelines_.end()) return false;
  suspended_.erase(pipeline);
  it->second.status.suspended = false;
  it->second.triggered = true;
  metrics_.set("driftless_pipeline_suspended", pipeline_labels(pipeline), 0);
  save_suspended();
  wake_.notify_all();
  return true;
}

std::vector<PipelineStatus> Scheduler::status() const {
  std::lock_guard lock(mutex_);
  std::vector<PipelineStatus> out;
  for (const auto& [name, p] : pipelines_) {
    out.push_back(p.status);
    if (const std::string& fetch_error = sources_.at(p.target.source).error; !fetch_error.empty())
      out.back().errors.insert(out.back().errors.begin(), fetch_error);
    out.back().leader = leadership_.leads(name);
    out.back().replica = leadership_.replica_of(name);
    if (p.status.suspended) out.back().state = "suspended";
    else if (!out.back().leader) out.back().state = "standby";
    else if (busy_.count(job_key(JobKind::reconcile, name)))
      out.back().activity = std::any_of(queue_.begin(), queue_.end(),
                                        [&](const Job& j) { return j.kind == JobKind::reconcile && j.name == name; })
                                ? "queued"
                                : "running";
    else if (p.triggered)
      out.back().activity = "queued";
    if (std::string error = leadership_.lease_error(name); !error.empty())
      out.back().errors.push_back("the pipeline's lease cannot be renewed: " + error);
  }
  for (const auto& [name, removal] : removed_) out.push_back(removal.status);
  // A forEachFolder pipeline has no folders before its source's first fetch;
  // it is listed by its configured name, so a failing source is seen.
  for (const auto& spec : config_.pipelines) {
    const SourceState& source = sources_.at(spec.source);
    if (spec.for_each_folder.empty() || source.fetched_once) continue;
    PipelineStatus waiting;
    waiting.name = spec.name;
    waiting.source = spec.source;
    waiting.message = "forEachFolder '" + spec.for_each_folder + "' is expanded after the first fetch of source '" +
                      spec.source + "'";
    if (!source.error.empty()) waiting.errors.push_back(source.error);
    out.push_back(std::move(waiting));
  }
  return out;
}

std::optional<ReplicaStatus> Scheduler::replica() const {
  if (!leadership_.enabled()) return std::nullopt;
  return leadership_.replica();
}

bool Scheduler::ready() const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, source] : sources_)
    if (!source.attempted) return false;
  // A standby replica is ready once it knows another replica leads the pipeline.
  for (const auto& [name, p] : pipelines_)
    if (!p.status.suspended && p.status.last_attempt == std::chrono::system_clock::time_point{} &&
        !(leadership_.decided(name) && !leadership_.leads(name)))
      return false;
  return true;
}

}  // namespace driftless::core
