// The daemon's HTTP endpoints: health, readiness, Prometheus metrics, the
// pipeline API used by `driftless status|reconcile|suspend|resume`, and the
// webhook receivers. Loopback by default.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/http_server.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/webhooks.hpp"
#include "driftless/result.hpp"

namespace driftless::core {

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
  /// Handles POST /hooks/<name>; status 404 when there is no such hook.
  virtual WebhookVerdict webhook(const std::string& name, const std::function<std::string(const std::string&)>& header,
                                 const std::string& body) = 0;
};

/// "2026-11-24T08:13:38Z", or "" for the zero time point.
std::string iso_time(std::chrono::system_clock::time_point t);

/// One pipeline's status as JSON (the API's and `status -o json`'s shape).
Value status_value(const PipelineStatus& status);

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
  ServedResponse pipelines();
  ServedResponse control(const ServedRequest& request, const std::string& name, const std::string& action);

  DaemonControl& control_;
  HttpServer server_;
};

}  // namespace driftless::core
