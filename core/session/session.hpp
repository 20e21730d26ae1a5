// What the CLI's commands and the daemon both stand on: the config, the
// plugins, the state directory, with every problem collected as a
// diagnostic, and the options of the engines made from them.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "pipeline/engine.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// Where a session's config, plugins and state are (flags, else variables, else defaults).
struct SessionOptions {
  std::string config_file;  ///< --config; else $DRIFTLESS_CONFIG; else ./driftless.yaml
  std::vector<std::string> plugin_dirs;  ///< every --plugin-dir
  std::string state_dir;    ///< --state-dir
};

struct Session {
  std::filesystem::path config_file;
  std::optional<Config> config;         ///< set when the config loaded and validated
  PluginRegistry registry;
  std::vector<std::filesystem::path> plugin_dirs;  ///< the folders read, bundled first
  std::filesystem::path state_dir;
  std::vector<Diagnostic> diagnostics;  ///< config and plugin-block problems

  /// The options of an engine over this session's state, stopped by `stop`.
  EngineOptions engine_options(const std::atomic<bool>* stop) const;
};

/// The config file: --config, else $DRIFTLESS_CONFIG, else ./driftless.yaml.
/// `named` (when given) tells whether the user named it (flag or variable).
std::filesystem::path config_file_of(const SessionOptions& options, bool* named = nullptr);

/// Loads plugins and (when `need_config`) the config, validating plugin blocks.
/// Without `need_config` a missing default config file is not an error.
void open_session(Session& session, const SessionOptions& options, bool need_config);

/// Loads `file` and checks its plugin blocks against `registry`: the config
/// only when both passed (at start and on every reload).
ConfigLoad load_valid_config(const std::filesystem::path& file, const PluginRegistry& registry);

}  // namespace driftless::core
