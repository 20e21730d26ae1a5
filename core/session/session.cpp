#include "session/session.hpp"

#include <cstdlib>

#include "config/plugin_blocks.hpp"

namespace driftless::core {
namespace {

std::filesystem::path default_state_dir() {
  if (const char* env = std::getenv("DRIFTLESS_STATE_DIR"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "driftless";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".local/state/driftless";
  return "/var/lib/driftless";
}

// Plugins are loaded before the blocks are checked: a config whose blocks
// fail is dropped, with the problems added to `diagnostics`.
void check_plugin_blocks(std::optional<Config>& config, const PluginRegistry& registry, std::vector<Diagnostic>& diagnostics) {
  auto problems = validate_plugin_blocks(*config, registry);
  if (problems.empty()) return;
  for (auto& p : problems) diagnostics.push_back(std::move(p));
  config.reset();
}

}  // namespace

std::filesystem::path config_file_of(const SessionOptions& options, bool* named) {
  if (named) *named = true;
  if (!options.config_file.empty()) return options.config_file;
  if (const char* env = std::getenv("DRIFTLESS_CONFIG"); env && *env) return env;
  if (named) *named = false;
  return "driftless.yaml";
}

void open_session(Session& session, const SessionOptions& options, bool need_config) {
  bool explicit_config = false;
  const std::filesystem::path file = config_file_of(options, &explicit_config);
  session.config_file = file;

  std::error_code ec;
  const bool config_exists = std::filesystem::exists(file, ec);
  if (need_config || explicit_config || config_exists) {
    ConfigLoad load = load_config(file);
    session.diagnostics = std::move(load.diagnostics);
    session.config = std::move(load.config);
  }

  session.plugin_dirs = resolve_plugin_dirs(options.plugin_dirs, session.config ? session.config->plugin_dirs
                                                                                : std::vector<std::string>{});
  session.registry.load_directories(session.plugin_dirs);

  if (!options.state_dir.empty()) session.state_dir = std::filesystem::absolute(options.state_dir);
  else if (session.config && !session.config->state_dir.empty()) session.state_dir = session.config->state_dir;
  else session.state_dir = default_state_dir();

  if (session.config) check_plugin_blocks(session.config, session.registry, session.diagnostics);
}

ConfigLoad load_valid_config(const std::filesystem::path& file, const PluginRegistry& registry) {
  ConfigLoad load = load_config(file);
  if (load.config) check_plugin_blocks(load.config, registry, load.diagnostics);
  return load;
}

EngineOptions Session::engine_options(const std::atomic<bool>* stop) const {
  EngineOptions options;
  options.state_dir = state_dir;
  options.stop = stop;
  return options;
}

}  // namespace driftless::core
