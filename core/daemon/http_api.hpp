// The daemon's HTTP endpoints: health, readiness, Prometheus metrics, the
// pipeline API used by `driftless status|reconcile|suspend|resume`, and the
// webhook receivers. Loopback by default.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/dashboard.hpp"
#include "daemon/event_hub.hpp"
#include "daemon/http_server.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/webhooks.hpp"
#include "driftless/result.hpp"

namespace driftless::core {

/// A drift event of a watch, as the dashboard shows it.
struct DriftEvent {
  std::uint64_t sequence = 0;  ///< 1, 2, ... in the order they happened
  std::chrono::system_clock::time_point time{};
  std::string pipeline;
  std::string reason;
  bool healed = false;  ///< by the sink itself; otherwise a reconcile followed
};

/// What the endpoints act on; the daemon implements it.
class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  virtual std::vector<PipelineStatus> status() = 0;
  /// This replica among the others (highAvailability); nullopt without it.
  virtual std::optional<ReplicaStatus> replica() = 0;
  virtual bool ready() = 0;
  virtual std::string metrics() = 0;
  virtual bool reconcile(const std::string& pipeline) = 0;
  virtual bool suspend(const std::string& pipeline) = 0;
  virtual bool resume(const std::string& pipeline) = 0;
  /// Who may use the control API (the current config's `api`).
  virtual ApiSpec api() = 0;
  /// What an apply of `pipeline` would change now (Scheduler::diff).
  virtual Result<PipelineRun> diff(const std::string& pipeline) = 0;
  /// The last drift events (a bounded window), oldest first.
  virtual std::vector<DriftEvent> drift() = 0;
  /// The audit log's last `count` entries of `pipeline`, oldest first.
  virtual std::vector<Value> recent_runs(const std::string& pipeline, std::size_t count) = 0;
  /// Handles POST /hooks/<name>; status 404 when there is no such hook.
  virtual WebhookVerdict webhook(const std::string& name, const std::function<std::string(const std::string&)>& header,
                                 const std::string& body) = 0;
};

/// "2026-11-24T08:13:38Z", or "" for the zero time point.
std::string iso_time(std::chrono::system_clock::time_point t);

/// One pipeline's status as JSON (the API's and `status -o json`'s shape).
Value status_value(const PipelineStatus& status);

/// A drift event as JSON.
Value drift_value(const DriftEvent& event);

/// This replica as JSON: identity, mode, members, memberCount, leads.
Value replica_value(const ReplicaStatus& replica);

/// The limits the daemon's server runs with (docs/security.md lists them).
HttpLimits daemon_http_limits();

class HttpApi {
 public:
  explicit HttpApi(DaemonControl& control);
  /// Binds `listen` (HOST:PORT; port 0 picks a free one) and serves.
  Result<void> start(const std::string& listen) { return server_.start(listen); }
  /// The port actually bound.
  int port() const { return server_.port(); }
  void stop() { server_.stop(); }

  /// Answers one request: the routes.
  ServedResponse handle(const ServedRequest& request);

 private:
  ServedResponse pipelines(const ServedRequest& request);
  ServedResponse pipeline(const std::string& name);
  ServedResponse objects(const std::string& name);
  ServedResponse dashboard_settings();
  ServedResponse events();
  ServedResponse control(const ServedRequest& request, const std::string& name, const std::string& action);

  DaemonControl& control_;
  EventHub hub_;
  std::mutex diff_mutex_;  ///< one diff at a time: each renders and asks the cluster
  HttpServer server_;
  LiveFeed feed_;  ///< last: stops first
};

}  // namespace driftless::core
