// `driftless run`: the long-running daemon. Owns the scheduler of the current
// config generation, the HTTP API, the audit log and notifications; reloads
// the config on SIGHUP (a bad new config is refused and the old one keeps
// running) and stops cleanly on SIGTERM/SIGINT.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

#include "daemon/http_api.hpp"
#include "daemon/metrics.hpp"
#include "daemon/scheduler.hpp"
#include "session/session.hpp"

namespace driftless::core {

class Daemon : public DaemonControl {
 public:
  explicit Daemon(Session& session);
  /// Runs until SIGTERM/SIGINT; returns the exit code.
  int run();

  std::vector<PipelineStatus> status() override;
  std::optional<ReplicaStatus> replica() override;
  bool ready() override;
  std::string metrics() override { return metrics_.render(); }
  bool reconcile(const std::string& pipeline) override;
  bool suspend(const std::string& pipeline) override;
  bool resume(const std::string& pipeline) override;
  ApiSpec api() override;
  Result<PipelineRun> diff(const std::string& pipeline) override;
  std::vector<DriftEvent> drift() override;
  std::vector<Value> recent_runs(const std::string& pipeline, std::size_t count) override;
  WebhookVerdict webhook(const std::string& name, const std::function<std::string(const std::string&)>& header,
                         const std::string& body) override;

 private:
  /// Everything that belongs to one loaded config.
  struct Generation {
    ~Generation();
    std::atomic<bool> stop{false};  ///< ends this generation's watches and long work
    bool release_leases = false;    ///< on a clean stop, so another replica takes over at once
    Config config;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<Scheduler> scheduler;
  };

  std::unique_ptr<Generation> make_generation(Config config);
  bool reload();
  void on_run(const PipelineRun& run, const PipelineStatus& before, const PipelineStatus& after);
  void audit(const PipelineRun& run, const PipelineStatus& after);
  void notify(const std::string& event, const PipelineRun& run, const std::string& text);

  Session& session_;
  Metrics metrics_;
  std::mutex mutex_;  ///< guards generation_ (swapped on reload) and the audit file
  std::unique_ptr<Generation> generation_;
  std::filesystem::path audit_path_;
  std::mutex diff_mutex_;  ///< held by a diff (HTTP thread) and by whoever ends a generation
  std::mutex drift_mutex_;
  std::deque<DriftEvent> drift_;  ///< the last kRecentDrift events
  std::uint64_t drift_sequence_ = 0;
  RecentDeliveries deliveries_{4096, std::chrono::hours(24)};  ///< webhook deliveries already acted on
};

}  // namespace driftless::core
