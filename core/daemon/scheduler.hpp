// The daemon's heart: decides when each source is fetched and each pipeline
// reconciled — on its interval (with jitter), at once on a new revision, a
// webhook, a drift event or a manual trigger — runs the work on a bounded
// pool of threads, backs off after failures, and keeps the status.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/leadership.hpp"
#include "daemon/metrics.hpp"
#include "pipeline/engine.hpp"

namespace driftless::core {

/// What `driftless status` shows for one pipeline.
struct PipelineStatus {
  std::string name;
  std::string source;
  std::map<std::string, std::string> labels;  ///< the config's, {{folder}} filled in (a declared pipeline: its parent's)
  std::string cluster;  ///< where its sink writes: a kubeconfig context, a folder; "" when the sink does not say
  /// pending, ready, failed, suspended, standby (another replica leads); removing, removed (its folder left the source)
  std::string state = "pending";
  std::string revision;            ///< last revision applied successfully
  std::string attempted_revision;  ///< revision of the last attempt
  std::vector<std::string> errors; ///< of the last attempt
  std::vector<StatusItem> items;   ///< what the pipeline's deferred actions last reported (Helm releases ...)
  std::string message;             ///< a warning worth showing (a removed folder whose objects were left in place)
  std::size_t objects = 0;
  std::int64_t duration_ms = 0;
  int failures = 0;                ///< consecutive
  std::chrono::system_clock::time_point last_attempt{};
  std::chrono::system_clock::time_point last_success{};
  std::chrono::system_clock::time_point next_attempt{};
  bool suspended = false;
  bool leader = true;              ///< this replica acts on it (see highAvailability)
  std::string replica;             ///< the replica that acts on it, as far as this one knows (Leadership::replica_of)
  /// The source's metadata of `revision` that the dashboard shows: url, commit, author, message.
  std::map<std::string, std::string> revision_info;
  /// "queued" (a new revision, a trigger or its interval: a reconcile is due),
  /// "running" (a reconcile, or a diff for the dashboard), "" otherwise.
  std::string activity;
};

struct SchedulerOptions {
  std::size_t concurrency = 4;
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
  std::chrono::milliseconds first_backoff{std::chrono::seconds(5)};
  std::filesystem::path state_dir;  ///< suspended pipelines are remembered here
};

/// The error diagnostics of a run, formatted (a status's `errors`).
std::vector<std::string> error_texts(const PipelineRun& run);

/// Called after every reconcile (audit log, notifications).
using RunListener = std::function<void(const PipelineRun&, const PipelineStatus& before, const PipelineStatus& after)>;
/// Called for every drift event of a watch: healed by the sink itself, or a reconcile follows.
using DriftListener = std::function<void(const std::string& pipeline, const std::string& reason, bool healed)>;

class Scheduler {
 public:
  Scheduler(Engine& engine, const Config& config, Metrics& metrics, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void on_run(RunListener listener) { listener_ = std::move(listener); }
  void on_drift(DriftListener listener) { drift_listener_ = std::move(listener); }

  /// Starts the loop and the workers.
  void start();
  /// Stops taking work and waits for the work in flight to finish.
  void stop();
  /// Stops renewing leases, after stop() and after the drift watches ended;
  /// `release` gives them up so another replica takes over at once.
  void step_down(bool release) { leadership_.stop(release); }

  /// Reconciles the pipeline as soon as a worker is free; false when unknown.
  bool reconcile_now(const std::string& pipeline, const std::string& reason);
  /// Reconciles `pipeline` at once if its last reconcile failed (it waits in backoff).
  void retry_now_if_failed(const std::string& pipeline, const std::string& reason);
  /// Fetches the sources now (a webhook); all when `sources` is empty.
  void fetch_now(const std::vector<std::string>& sources);
  /// Stops scheduling a pipeline (kept across restarts) / starts again.
  bool suspend(const std::string& pipeline);
  bool resume(const std::string& pipeline);

  /// What an apply of `pipeline` would change now (RunStage::diff, at the
  /// current revision), run on the calling thread and never beside a
  /// reconcile of the same pipeline; waits up to `wait` for one in flight.
  Result<PipelineRun> diff(const std::string& pipeline, std::chrono::seconds wait);

  std::vector<PipelineStatus> status() const;
  /// This replica and its fellows; nullopt without highAvailability.
  std::optional<ReplicaStatus> replica() const;
  /// True once every source was fetched and every pipeline attempted once.
  bool ready() const;

 private:
  enum class JobKind { fetch, reconcile, retire };
  struct Job {
    JobKind kind;
    std::string name;
  };

  static std::string job_key(JobKind kind, const std::string& name);
  void loop();
  void work();
  void do_fetch(const std::string& source);
  void do_reconcile(const std::string& pipeline);
  void do_retire(const std::string& pipeline);
  void record_revision(PipelineStatus& status, const std::string& revision,
                       const std::map<std::string, std::string>& metadata);  // call with mutex_ held
  void refresh_targets();  // call with mutex_ held
  void wake_waiting();     // call with mutex_ held: pipelines waiting for a dependency try again now
  void save_folder_pipelines();  // call with mutex_ held
  std::chrono::steady_clock::duration jittered(std::chrono::milliseconds interval);
  void save_suspended();   // call with mutex_ held
  void on_leadership(const std::string& pipeline, bool leads);
  void report_fetch_failure(const std::string& source, const Error& error);

  Engine& engine_;
  const Config& config_;
  Metrics& metrics_;
  SchedulerOptions options_;
  RunListener listener_;
  DriftListener drift_listener_;
  Leadership leadership_;
  std::mutex watch_mutex_;  ///< a drift watch starts only while leading, never after the lease was lost

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<Job> queue_;
  std::set<std::string> busy_;  ///< "fetch:x" / "reconcile:y" queued or running

  struct SourceState {
    std::chrono::steady_clock::time_point next_fetch{};
    bool attempted = false;     ///< a fetch ran (maybe failed)
    bool fetched_once = false;  ///< an artifact exists
    std::string error;          ///< why the last fetch failed; "" after a good one
  };
  struct PipelineState {
    PipelineTarget target;
    PipelineStatus status;
    std::chrono::steady_clock::time_point due{};
    bool triggered = true;
  };
  std::map<std::string, SourceState> sources_;
  std::map<std::string, PipelineState> pipelines_;
  std::set<std::string> suspended_;
  /// Every forEachFolder pipeline seen in an artifact (kept across restarts),
  /// so a folder that leaves its source is noticed even by a new process.
  std::map<std::string, PipelineTarget> folder_pipelines_;
  /// Pipelines whose folder left the source, until Engine::retire is done with them.
  struct Removal {
    PipelineTarget target;
    PipelineStatus status;
    std::chrono::steady_clock::time_point due{};
    bool done = false;  ///< retired; the entry only reports the objects left in place
  };
  std::map<std::string, Removal> removed_;
};

}  // namespace driftless::core
