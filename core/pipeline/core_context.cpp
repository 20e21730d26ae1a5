#include "pipeline/core_context.hpp"

#include "config/plugin_blocks.hpp"

namespace driftless::core {
namespace {
LogFields fields_for(const std::string& pipeline, const std::string& plugin) {
  LogFields f;
  if (!pipeline.empty()) f.emplace_back("pipeline", pipeline);
  if (!plugin.empty()) f.emplace_back("plugin", plugin);
  return f;
}
}  // namespace

CoreContext::CoreContext(const ContextServices& services, std::string pipeline, std::string plugin,
                         std::chrono::steady_clock::duration timeout)
    : services_(services),
      pipeline_(std::move(pipeline)),
      plugin_(std::move(plugin)),
      deadline_(std::chrono::steady_clock::now() + timeout),
      logger_(fields_for(pipeline_, plugin_)) {}

bool CoreContext::cancelled() const {
  return (services_.stop && services_.stop->load()) || std::chrono::steady_clock::now() > deadline_;
}

std::filesystem::path CoreContext::cache_dir() const {
  auto dir = services_.state_dir / "cache" / plugin_;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return dir;
}

Result<Artifact> CoreContext::fetch_source(std::string_view type, const Value& spec) {
  const SourceFactory* factory = services_.registry ? services_.registry->source(std::string(type)) : nullptr;
  if (!factory)
    return fail(ErrorCode::not_found, "no source plugin '" + std::string(type) + "' is loaded; check `driftless plugins`");
  auto config = check_plugin_value(factory->config_keys(), spec, "the " + std::string(type) + " source requested by " + plugin_);
  if (!config.ok()) return config.error();
  auto source = factory->create(*config);
  if (!source.ok()) return source.error();
  CoreContext nested(services_, pipeline_, std::string(type), deadline_ - std::chrono::steady_clock::now());
  return (*source)->fetch(nested, nullptr);
}

}  // namespace driftless::core
