// Services the core offers to a plugin while it works: logging, cancellation,
// a cache directory, fetching another source, and facts about the cluster.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "driftless/artifact.hpp"
#include "driftless/result.hpp"
#include "driftless/value.hpp"

namespace driftless {

enum class LogLevel { debug, info, warning, error };

/// Key/value pairs attached to a log line; rendered as JSON fields in JSON logs.
using LogFields = std::vector<std::pair<std::string, std::string>>;

/// Where plugins write log lines. Never log secret values.
class Logger {
 public:
  virtual ~Logger();
  /// Writes one line at `level` with optional structured fields.
  virtual void log(LogLevel level, std::string_view message, const LogFields& fields = {}) = 0;

  void debug(std::string_view m, const LogFields& f = {}) { log(LogLevel::debug, m, f); }
  void info(std::string_view m, const LogFields& f = {}) { log(LogLevel::info, m, f); }
  void warn(std::string_view m, const LogFields& f = {}) { log(LogLevel::warning, m, f); }
  void error(std::string_view m, const LogFields& f = {}) { log(LogLevel::error, m, f); }
};

/// What a sink knows about its cluster; renderers use it for --kube-version
/// and to tell namespaced kinds from cluster-scoped ones.
struct ClusterInfo {
  std::string version;                  ///< "v1.36.2"
  std::vector<std::string> api_versions;  ///< "apps/v1", "networking.k8s.io/v1/Ingress", ...
  /// The "apiVersion/Kind" entries of api_versions whose objects live outside
  /// namespaces ("v1/Namespace", "rbac.authorization.k8s.io/v1/ClusterRole");
  /// every other "apiVersion/Kind" entry is namespaced.
  std::vector<std::string> cluster_scoped;
};

/// The core's services for one unit of work (a fetch, a render, an apply).
class Context {
 public:
  virtual ~Context();
  /// Logger tagged with the pipeline and plugin.
  virtual Logger& logger() = 0;
  /// True once the core asked the work to stop; long work checks it often.
  virtual bool cancelled() const = 0;
  /// When the work must be done; network calls use it as their timeout.
  virtual std::chrono::steady_clock::time_point deadline() const = 0;
  /// A directory private to this plugin that survives restarts.
  virtual std::filesystem::path cache_dir() const = 0;
  /// Name of the pipeline being worked on ("" outside a pipeline).
  virtual std::string pipeline() const = 0;
  /// Fetches another source through a source plugin: `type` is its plugin name,
  /// `spec` its config block (validated like one in the config file).
  virtual Result<Artifact> fetch_source(std::string_view type, const Value& spec) = 0;
  /// Facts about the target cluster, or nullptr when no sink knows them yet.
  virtual const ClusterInfo* cluster_info() const = 0;

  /// Seconds left before deadline(), at least 1.
  long seconds_left() const;
};

}  // namespace driftless
