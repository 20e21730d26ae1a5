#include "plugins/registry.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>

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
    problems_.push_back({dir, "plugin directory does not exist or is not a directory; pass --plugin-dir, set "
                              "pluginDir in the config or DRIFTLESS_PLUGIN_DIR"});
    return;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) load_file(file);
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
  if (str(info->build_fingerprint) != DRIFTLESS_BUILD_FINGERPRINT)
    return refuse("built with '" + str(info->build_fingerprint) + "' (compiler " + str(info->compiler) +
                  "), but this driftless needs '" DRIFTLESS_BUILD_FINGERPRINT
                  "': rebuild the plugin with the same standard library, Boost and C++ standard");
  PluginKind kind;
  if (!parse_kind(info->kind, kind))
    return refuse("unknown plugin kind '" + str(info->kind) + "'; expected source, renderer or sink");
  if (!valid_name(info->name))
    return refuse("invalid plugin name '" + str(info->name) + "'; use lowercase letters, digits and '-'");
  if (const LoadedPlugin* existing = find(kind, info->name))
    return refuse(std::string("duplicate ") + to_string(kind) + " plugin '" + info->name + "': already loaded from " +
                  existing->file.string() + "; remove one of the two files");
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

std::filesystem::path resolve_plugin_dir(const std::string& flag, const std::string& from_config) {
  if (!flag.empty()) return flag;
  if (!from_config.empty()) return from_config;
  if (const char* env = std::getenv("DRIFTLESS_PLUGIN_DIR"); env && *env) return env;
  std::error_code ec;
  auto beside_binary = boost::dll::program_location(ec).parent_path().parent_path() / "lib" / "driftless" / "plugins";
  if (!ec && std::filesystem::is_directory(beside_binary, ec)) return beside_binary;
  return DRIFTLESS_DEFAULT_PLUGIN_DIR;
}

}  // namespace driftless::core
