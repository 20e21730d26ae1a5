// The daemon's HTTP endpoints: health, readiness, Prometheus metrics, the
// pipeline API used by `driftless status|reconcile|suspend|resume`, and the
// webhook receivers. Loopback by default.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/scheduler.hpp"
#include "daemon/webhooks.hpp"
#include "driftless/result.hpp"

namespace httplib {
class Server;
}

namespace driftless::core {

/// What the endpoints act on; the daemon implements it.
class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  virtual std::vector<PipelineStatus> status() = 0;
  virtual bool ready() = 0;
  virtual std::string metrics() = 0;
  virtual bool reconcile(const std::string& pipeline) = 0;
  virtual bool suspend(const std::string& pipeline) = 0;
  virtual bool resume(const std::string& pipeline) = 0;
  /// Handles POST /hooks/<name>; status 404 when there is no such hook.
  virtual WebhookVerdict webhook(const std::string& name, const std::function<std::string(const std::string&)>& header,
                                 const std::string& body) = 0;
};

/// "2026-11-24T08:13:38Z", or "" for the zero time point.
std::string iso_time(std::chrono::system_clock::time_point t);

/// One pipeline's status as JSON (the API's and `status -o json`'s shape).
Value status_value(const PipelineStatus& status);

class HttpApi {
 public:
  explicit HttpApi(DaemonControl& control);
  ~HttpApi();
  /// Binds `listen` (HOST:PORT; port 0 picks a free one) and serves in a thread.
  Result<void> start(const std::string& listen);
  /// The port actually bound.
  int port() const { return port_; }
  void stop();

 private:
  DaemonControl& control_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace driftless::core
