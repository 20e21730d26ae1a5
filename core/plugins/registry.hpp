// Loads plugin libraries from a directory and keeps them, by kind and name,
// for the life of the process.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"

namespace driftless::core {

enum class PluginKind { source, renderer, sink };

/// "source", "renderer", "sink".
const char* to_string(PluginKind kind);

/// A loaded, checked plugin.
struct LoadedPlugin {
  std::string name;
  PluginKind kind = PluginKind::source;
  std::string version;
  std::string description;
  std::string sdk_version;
  std::string compiler;
  std::filesystem::path file;
  const PluginFactory* factory = nullptr;  ///< owned by the library, which stays loaded
};

/// A plugin file that was refused, with one sentence saying why.
struct PluginProblem {
  std::filesystem::path file;
  std::string message;
};

/// All plugins of a process. Libraries are never unloaded: objects they create
/// must not outlive them.
class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  /// Loads every "*.so" of `dir` in name order. Bad files become problems();
  /// they never stop the others from loading.
  void load_directory(const std::filesystem::path& dir);
  /// load_directory of each folder in order; a folder named twice is read once.
  /// A plugin name that a later folder provides again is a problem.
  void load_directories(const std::vector<std::filesystem::path>& dirs);
  /// Loads one library; false (and a problem) when refused.
  bool load_file(const std::filesystem::path& file);

  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  /// The plugins by kind (sources, renderers, sinks), then by name: the order users see.
  std::vector<const LoadedPlugin*> by_kind() const;
  const std::vector<PluginProblem>& problems() const { return problems_; }

  /// The plugin of `kind` named `name`, or nullptr.
  const LoadedPlugin* find(PluginKind kind, const std::string& name) const;
  /// Names of the plugins of one kind, sorted, for "available: ..." messages.
  std::vector<std::string> names(PluginKind kind) const;

  const SourceFactory* source(const std::string& name) const;
  const RendererFactory* renderer(const std::string& name) const;
  const SinkFactory* sink(const std::string& name) const;

 private:
  std::vector<LoadedPlugin> plugins_;
  std::vector<PluginProblem> problems_;
};

/// The folder of the plugins that come with driftless: lib/driftless/plugins
/// beside the binary (as installed, and in the build tree), else the install default.
std::filesystem::path bundled_plugin_dir();

/// The plugin folders to read, in order: the bundled folder, then the user's
/// own: every --plugin-dir flag, else the config's pluginDirs, else the
/// ':'-separated folders of $DRIFTLESS_PLUGIN_DIR. The bundled folder is left
/// out when it does not exist and the user named folders of their own.
std::vector<std::filesystem::path> resolve_plugin_dirs(const std::vector<std::string>& flags,
                                                       const std::vector<std::string>& from_config);

}  // namespace driftless::core
