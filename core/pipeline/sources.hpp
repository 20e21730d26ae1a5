// The sources of one config: each fetched by one instance of its plugin, at
// most one fetch of a source at a time, the last good artifact kept (a failed
// fetch loses nothing) next to the last error.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "pipeline/core_context.hpp"

namespace driftless::core {

/// The outcome of fetching one source.
struct FetchOutcome {
  std::string source;
  std::string revision;        ///< the current (last good) revision; "" when none yet
  bool changed = false;        ///< a revision different from the one before
  std::optional<Error> error;  ///< the fetch failed; the last good artifact is kept
  std::chrono::milliseconds duration{0};
  std::map<std::string, std::string> metadata;  ///< author, committer, message ... of the revision
};

class Sources {
 public:
  Sources(const Config& config, const PluginRegistry& registry, const ContextServices& services,
          std::chrono::seconds timeout);

  /// Fetches `name` now; concurrent fetches of one source run one after the other.
  FetchOutcome fetch(const std::string& name);

  /// Fetches a source a declared pipeline reads (PipelineSpec::declared_source):
  /// one instance per distinct plugin and config, its last good artifact kept
  /// like a configured source's. `outcome.source` names it for messages.
  FetchOutcome fetch_declared(const PluginBlock& plugin);
  /// The key fetch_declared keeps `plugin`'s source under (its FetchOutcome::source).
  static std::string declared_key(const PluginBlock& plugin);

  /// What a run of a pipeline of `name` starts from.
  struct Current {
    std::shared_ptr<const Artifact> artifact;  ///< the last good one; nullptr when none yet
    std::optional<Error> error;                ///< of the last fetch, when it failed
  };
  Current current(const std::string& name);
  /// The last good artifact of `name`, or nullptr.
  std::shared_ptr<const Artifact> last_good(const std::string& name);

 private:
  struct State {
    std::mutex fetching;  ///< one fetch of a source at a time
    std::unique_ptr<Source> instance;
    std::shared_ptr<const Artifact> last_good;  ///< shared: runs read it without copying its folder ids
    std::optional<Error> last_error;
  };
  State& state(const std::string& name);
  /// Fetches the source kept as `key` through `plugin`; `label` names it in a crash report.
  FetchOutcome fetch_with(const std::string& key, const PluginBlock& plugin, const std::string& label);

  const Config& config_;
  const PluginRegistry& registry_;
  const ContextServices& services_;
  std::chrono::seconds timeout_;
  std::mutex mutex_;  ///< guards states_ and each State's last_good and last_error
  std::map<std::string, std::unique_ptr<State>> states_;
};

}  // namespace driftless::core
