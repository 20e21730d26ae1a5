// What every command needs before it can work: the config, the plugins, the
// state directory, with every problem collected as a diagnostic.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// Options shared by all commands.
struct GlobalOptions {
  std::string config_file;  ///< --config; else $DRIFTLESS_CONFIG; else ./driftless.yaml
  std::vector<std::string> plugin_dirs;  ///< every --plugin-dir
  std::string state_dir;    ///< --state-dir
  std::string output = "text";  ///< --output text|json (table is an alias of text)
  std::string server;           ///< --server: the daemon's HOST:PORT for status, reconcile, ...
};

struct Session {
  std::filesystem::path config_file;
  std::optional<Config> config;         ///< set when the config loaded and validated
  PluginRegistry registry;
  std::vector<std::filesystem::path> plugin_dirs;  ///< the folders read, bundled first
  std::filesystem::path state_dir;
  std::vector<Diagnostic> diagnostics;  ///< config and plugin-block problems
};

/// The config file: --config, else $DRIFTLESS_CONFIG, else ./driftless.yaml.
/// `named` (when given) tells whether the user named it (flag or variable).
std::filesystem::path config_file_of(const GlobalOptions& options, bool* named = nullptr);

/// Loads plugins and (when `need_config`) the config, validating plugin blocks.
/// Without `need_config` a missing default config file is not an error.
void open_session(Session& session, const GlobalOptions& options, bool need_config);

}  // namespace driftless::core
