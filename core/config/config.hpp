// The pipeline config as loaded from YAML: plain data, validated once, then
// read-only. Plugin blocks keep their position in the file for error messages.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/value.hpp"

namespace YAML {
class Node;
}

namespace driftless::core {

/// A place in the config file.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

/// A plugin's block: its type (plugin name) and its keys, checked against the
/// plugin's declared keys with defaults filled in (see validate_plugin_blocks).
struct PluginBlock {
  std::string type;
  Value config;        ///< an object; durations as integer milliseconds
  std::shared_ptr<const YAML::Node> node;  ///< the block as written, for validation
  Location location;
};

struct SourceSpec {
  std::string name;
  std::chrono::milliseconds interval{60000};
  PluginBlock plugin;
  Location location;
};

/// Credentials the operator lends to sources a repository declares: a
/// declared source of `block.type` whose URL lies under `url_prefix` is given
/// `block.config`'s `auth` (a declaration itself never carries credentials).
struct DeclaredSourceAuth {
  std::string url_prefix;
  PluginBlock block;  ///< type: the source plugin; config: {auth: {...}}, checked against its `auth` key
};

struct PipelineSpec {
  std::string name;              ///< may hold {{folder}} with forEachFolder
  std::string source;
  std::string path;              ///< folder inside the source ("" = root)
  std::string for_each_folder;   ///< glob of folders, one pipeline each
  bool prune_on_folder_removal = false;  ///< a folder removed from the source: delete its objects too
  /// Pipelines this one's render declares may read sources of their own
  /// (DeclaredPipeline::source); declared pipelines inherit it.
  bool allow_declared_sources = false;
  /// declaredSourceAuth: credentials for declared sources, by URL prefix;
  /// declared pipelines inherit them.
  std::vector<DeclaredSourceAuth> declared_source_auth;
  std::optional<std::chrono::milliseconds> interval;  ///< defaults to the source's
  /// After a failure, the next attempt comes this long after it; unset: the
  /// daemon's exponential backoff (5 s, doubling up to 5 min).
  std::optional<std::chrono::milliseconds> retry_interval;
  /// For people and the dashboard's fleet filter; values may hold {{folder}}
  /// and {{path}} (labels_of() fills them in). A declared pipeline has its
  /// parent's, filled in.
  std::map<std::string, std::string> labels;
  std::vector<PluginBlock> renderers;
  PluginBlock sink;
  Location location;
  // Only for a pipeline declared by the repository (pipeline/child_pipelines.hpp):
  std::vector<std::string> depends_on;  ///< full names that must be applied at the same revision first
  bool suspended = false;               ///< declared suspended: kept, never applied
  std::string declared_by;              ///< the declaring object ("Kustomization/flux-system/apps")
  /// Where its files come from instead of `source`'s artifact (DeclaredPipeline::source, checked).
  std::optional<PluginBlock> declared_source;
};

/// Who may use the daemon's control API (reconcile, suspend, resume): the
/// holders of a token, from a request that names the daemon by an address it
/// answers to. Without a token the control calls are refused.
struct ApiSpec {
  std::string token_file;                        ///< absolute, or ""; wins over token_env
  std::string token_env = "DRIFTLESS_API_TOKEN";  ///< variable holding the token
  std::vector<std::string> allowed_hosts;        ///< host names besides IP addresses and localhost
  Location location;
};

/// A webhook receiver: POST /hooks/<name> fetches its sources at once.
struct WebhookSpec {
  std::string name;
  std::string type;                  ///< github, gitlab or generic
  std::string secret_file;           ///< absolute
  std::vector<std::string> sources;  ///< empty = every source
  Location location;
};

/// Where the daemon reports failures, recoveries and healed drift.
struct NotificationSpec {
  std::string url;
  std::string format = "json";       ///< json or slack
  Location location;
};

/// Several replicas of `driftless run` sharing targets: each pipeline is acted
/// on only by the replica holding its lease (kept by the pipeline's sink).
/// How replicas divide the pipelines (docs/operations.md#high-availability).
enum class HaMode {
  standby,  ///< every replica tries every pipeline's lease: one acts, the others wait
  shard,    ///< each pipeline is assigned to one live member; only it tries the lease
};

struct HighAvailabilitySpec {
  bool enabled = false;
  HaMode mode = HaMode::standby;
  /// Mode shard: the sink (a block like a pipeline's) whose Membership keeps
  /// the member leases; every replica of the fleet names the same one.
  std::optional<PluginBlock> membership;
  std::string identity;  ///< "" = <hostname>-<pid>
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_interval{5'000};
  Location location;
};

struct Config {
  std::filesystem::path file;
  std::string listen = "127.0.0.1:9797";  ///< the daemon's HTTP address (metrics, API, webhooks)
  ApiSpec api;
  std::string audit_log;    ///< absolute, or "" for <stateDir>/audit.log
  std::size_t concurrency = 4;
  std::vector<WebhookSpec> webhooks;
  std::vector<NotificationSpec> notifications;
  HighAvailabilitySpec high_availability;
  std::vector<std::string> plugin_dirs;  ///< pluginDirs, absolute; empty when not set
  std::string state_dir;    ///< absolute, or "" when not set
  std::vector<SourceSpec> sources;
  std::vector<PipelineSpec> pipelines;

  const SourceSpec* find_source(const std::string& name) const;
};

/// Either a config or the errors that stop it from loading.
struct ConfigLoad {
  std::optional<Config> config;
  std::vector<Diagnostic> diagnostics;
};

/// Reads and checks the structure of a config file (not yet the plugin keys).
ConfigLoad load_config(const std::filesystem::path& file);
/// As load_config, from text; `file` names it in messages and anchors relative paths.
ConfigLoad parse_config(const std::string& text, const std::filesystem::path& file);

/// Why `key` is not a label key ("" when it is one): the syntax of
/// Kubernetes label keys, an optional DNS subdomain prefix and '/', then a
/// name of at most 63 letters, digits, '-', '_' and '.', starting and ending
/// with a letter or digit.
std::string label_key_problem(std::string_view key);

/// Parses "90s", "5m", "1h30m", "250ms"; nullopt when malformed or zero.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace driftless::core
