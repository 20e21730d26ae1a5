#include "plugins/registry.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

#include "driftless/abi.hpp"

namespace driftless::core {

const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::source: return "source";
    case PluginKind::renderer: return "renderer";
    case PluginKind::sink: return "sink";
  }
  return "source";
}

// Loaded libraries are never unloaded: code of a plugin may still be reached
// by objects torn down after the registry, or by static destructors. They
// live in one process-wide list (never freed, still reachable).
static std::vector<boost::dll::shared_library>& process_libraries() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}

PluginRegistry::PluginRegistry() = default;
PluginRegistry::~PluginRegistry() = default;

void PluginRegistry::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    problems_.push_back({dir, "plugin folder does not exist or is not a folder; check --plugin-dir, pluginDirs in "
                              "the config and DRIFTLESS_PLUGIN_DIR"});
    return;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) load_file(file);
}

void PluginRegistry::load_directories(const std::vector<std::filesystem::path>& dirs) {
  std::vector<std::filesystem::path> seen;
  for (const auto& dir : dirs) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(dir, ec);
    if (ec) canonical = dir.lexically_normal();
    if (std::find(seen.begin(), seen.end(), canonical) != seen.end()) continue;
    seen.push_back(canonical);
    load_directory(dir);
  }
}

std::vector<const LoadedPlugin*> PluginRegistry::by_kind() const {
  std::vector<const LoadedPlugin*> out;
  for (const auto& p : plugins_) out.push_back(&p);
  std::sort(out.begin(), out.end(), [](const LoadedPlugin* a, const LoadedPlugin* b) {
    return std::make_pair(static_cast<int>(a->kind), a->name) < std::make_pair(static_cast<int>(b->kind), b->name);
  });
  return out;
}

namespace {

bool parse_kind(const char* text, PluginKind& out) {
  if (!text) return false;
  std::string_view k(text);
  if (k == "source") out = PluginKind::source;
  else if (k == "renderer") out = PluginKind::renderer;
  else if (k == "sink") out = PluginKind::sink;
  else return false;
  return true;
}

bool valid_name(const char* name) {
  if (!name || !*name) return false;
  for (const char* p = name; *p; ++p)
    if (!(std::islower(static_cast<unsigned char>(*p)) || std::isdigit(static_cast<unsigned char>(*p)) || *p == '-')) return false;
  return true;
}

std::string str(const char* s) { return s ? s : ""; }

// Boost wraps dlerror() as "...failed (dlerror system message: X)"; keep X.
std::string loader_message(const std::string& what) {
  const std::string marker = "dlerror system message: ";
  auto pos = what.find(marker);
  if (pos == std::string::npos) return what;
  std::string detail = what.substr(pos + marker.size());
  if (!detail.empty() && detail.back() == ')') detail.pop_back();
  return detail;
}

const PluginFactory* factory_of_kind(const PluginFactory* base, PluginKind kind) {
  switch (kind) {
    case PluginKind::source: return dynamic_cast<const SourceFactory*>(base);
    case PluginKind::renderer: return dynamic_cast<const RendererFactory*>(base);
    case PluginKind::sink: return dynamic_cast<const SinkFactory*>(base);
  }
  return nullptr;
}

}  // namespace

bool PluginRegistry::load_file(const std::filesystem::path& file) {
  auto refuse = [&](std::string message) {
    problems_.push_back({file, std::move(message)});
    return false;
  };
  boost::dll::shared_library library;
  try {
    // rtld_now: an unresolved dependency is reported here, not as a crash later.
    library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return refuse(std::string("cannot load: ") + loader_message(e.what()) +
                  " (is it a shared object built for this machine, with all its dependencies installed?)");
  }
  if (!library.has(DRIFTLESS_HANDSHAKE_SYMBOL))
    return refuse("not a driftless plugin: it does not export '" DRIFTLESS_HANDSHAKE_SYMBOL
                  "' (build it with DRIFTLESS_PLUGIN(...) from <driftless/export.hpp>)");

  const driftless_plugin_info* info = nullptr;
  try {
    auto handshake = library.get_alias<const driftless_plugin_info*()>(DRIFTLESS_HANDSHAKE_SYMBOL);
    info = handshake();
  } catch (...) {
    return refuse("the handshake function failed");
  }
  if (!info) return refuse("the handshake returned nothing");
  if (info->abi_version != DRIFTLESS_ABI_VERSION)
    return refuse("built for driftless plugin ABI version " + std::to_string(info->abi_version) +
                  ", but this driftless needs ABI version " + std::to_string(DRIFTLESS_ABI_VERSION) +
                  ": rebuild the plugin against driftless SDK " DRIFTLESS_SDK_VERSION);
  if (const std::string sdk = str(info->sdk_version); sdk.substr(0, sdk.find('.')) != std::to_string(DRIFTLESS_ABI_VERSION))
    return refuse("says it was built with driftless SDK " + sdk + ", whose major version is not its ABI version " +
                  std::to_string(info->abi_version) + ": rebuild the plugin against driftless SDK " DRIFTLESS_SDK_VERSION);
  if (str(info->build_fingerprint) != DRIFTLESS_BUILD_FINGERPRINT)
    return refuse("built with '" + str(info->build_fingerprint) + "' (compiler " + str(info->compiler) +
                  "), but this driftless needs '" DRIFTLESS_BUILD_FINGERPRINT
                  "': rebuild the plugin with the same standard library, Boost and C++ standard");
  PluginKind kind;
  if (!parse_kind(info->kind, kind))
    return refuse("unknown plugin kind '" + str(info->kind) + "'; expected source, renderer or sink");
  if (!valid_name(info->name))
    return refuse("invalid plugin name '" + str(info->name) + "'; use lowercase letters, digits and '-'");
  if (const LoadedPlugin* existing = find(kind, info->name)) {
    std::string message = std::string("duplicate ") + to_string(kind) + " plugin '" + info->name + "': already loaded from " +
                          existing->file.string();
    if (existing->file.parent_path() == file.parent_path()) return refuse(message + "; remove one of the two files");
    return refuse(message + ", in another plugin folder; plugin names must be unique across the folders of "
                            "--plugin-dir, pluginDirs and DRIFTLESS_PLUGIN_DIR and the bundled one: rename one of "
                            "the two plugins or remove one of the files");
  }
  if (!info->factory) return refuse("the handshake has no factory");

  const PluginFactory* factory = nullptr;
  try {
    factory = factory_of_kind(static_cast<const PluginFactory*>(info->factory()), kind);
  } catch (...) {
    return refuse("the plugin factory threw while being created");
  }
  if (!factory)
    return refuse(std::string("declares kind '") + to_string(kind) + "' but its factory does not implement it");

  plugins_.push_back(LoadedPlugin{info->name, kind, str(info->version), str(info->description),
                                  str(info->sdk_version), str(info->compiler), file, factory});
  process_libraries().push_back(std::move(library));
  return true;
}

const LoadedPlugin* PluginRegistry::find(PluginKind kind, const std::string& name) const {
  for (const auto& p : plugins_)
    if (p.kind == kind && p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> PluginRegistry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const auto& p : plugins_)
    if (p.kind == kind) out.push_back(p.name);
  std::sort(out.begin(), out.end());
  return out;
}

const SourceFactory* PluginRegistry::source(const std::string& name) const {
  const LoadedPlugin* p = find(PluginKind::source, name);
  return p ? static_cast<const SourceFactory*>(p->factory) : nullptr;
}
const RendererFactory* PluginRegistry::renderer(const std::string& name) const {
  const LoadedPlugin* p = find(PluginKind::renderer, name);
  return p ? static_cast<const RendererFactory*>(p->factory) : nullptr;
}
const SinkFactory* PluginRegistry::sink(const std::string& name) const {
  const LoadedPlugin* p = find(PluginKind::sink, name);
  return p ? static_cast<const SinkFactory*>(p->factory) : nullptr;
}

std::filesystem::path bundled_plugin_dir() {
  std::error_code ec;
  auto beside_binary = boost::dll::program_location(ec).parent_path().parent_path() / "lib" / "driftless" / "plugins";
  if (!ec && std::filesystem::is_directory(beside_binary, ec)) return beside_binary;
  return DRIFTLESS_DEFAULT_PLUGIN_DIR;
}

std::vector<std::filesystem::path> resolve_plugin_dirs(const std::vector<std::string>& flags,
                                                       const std::vector<std::string>& from_config) {
  std::vector<std::string> own = !flags.empty() ? flags : from_config;
  if (own.empty())
    if (const char* env = std::getenv("DRIFTLESS_PLUGIN_DIR"); env && *env) {
      std::string_view list(env);
      for (auto colon = list.find(':'); colon != std::string_view::npos; colon = list.find(':')) {
        own.emplace_back(list.substr(0, colon));
        list.remove_prefix(colon + 1);
      }
      own.emplace_back(list);
    }
  std::vector<std::filesystem::path> dirs;
  const auto bundled = bundled_plugin_dir();
  std::error_code ec;
  if (own.empty() || std::filesystem::is_directory(bundled, ec)) dirs.push_back(bundled);
  // Absolute, so that messages name the folder wherever they are read.
  for (const auto& dir : own) {
    if (dir.empty()) continue;
    auto absolute = std::filesystem::absolute(dir, ec);
    dirs.push_back(ec ? std::filesystem::path(dir) : absolute);
  }
  return dirs;
}

}  // namespace driftless::core
