#include "render_harness.hpp"

#include <gtest/gtest.h>

#include "config/plugin_blocks.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "pipeline/core_context.hpp"
#include "plugins/registry.hpp"
#include "support.hpp"

namespace driftless::test {
namespace {

core::PluginRegistry& registry() {
  static core::PluginRegistry* loaded = [] {
    auto* r = new core::PluginRegistry();  // plugins stay loaded for the process
    r->load_directory(plugin_dir());
    return r;
  }();
  return *loaded;
}

}  // namespace

std::string Rendered::diagnostics() const {
  std::string out;
  for (const auto& d : result.diagnostics) out += format(d) + "\n";
  return out;
}

std::vector<std::string> Rendered::ids() const {
  std::vector<std::string> out;
  for (const auto& o : result.objects) out.push_back(o.id());
  return out;
}

const RendererFactory& renderer_factory(const std::string& name) {
  const RendererFactory* factory = registry().renderer(name);
  if (!factory) throw std::runtime_error("renderer plugin '" + name + "' is not in " + plugin_dir().string());
  return *factory;
}

Rendered render(const RenderCall& call, const std::filesystem::path& state_dir, const Artifact* source) {
  Rendered out;
  const RendererFactory& factory = renderer_factory(call.renderer);
  auto parsed = parse_yaml(call.config, "test-config.yaml");
  if (parsed.documents.empty()) throw std::runtime_error("bad test config: " + call.config);
  auto config = core::check_plugin_value(factory.config_keys(), parsed.documents.front().value, "the test block");
  if (!config.ok()) {
    out.config_error = config.error().message;
    return out;
  }
  auto renderer = factory.create(*config);
  if (!renderer.ok()) {
    out.config_error = renderer.error().message;
    return out;
  }
  Artifact artifact;
  artifact.revision = source ? source->revision : "test";
  if (source) artifact.metadata = source->metadata;
  artifact.root = call.root;
  core::ContextServices services;
  services.registry = &registry();
  services.cluster = call.cluster;
  static TempDir process_state;
  services.state_dir = state_dir.empty() ? process_state.path() : state_dir;
  core::CoreContext context(services, "test", call.renderer, std::chrono::seconds(120));
  out.result = (*renderer)->render(context, RenderRequest{artifact, call.path, call.input});
  return out;
}

std::string tool_setting(const std::string& key, const std::string& env_name) {
  const std::string path = test_env()[env_name];
  if (path.empty()) throw std::runtime_error(env_name + " is missing from the tests/env env file");
  return key + ": " + path;
}

void sparse_file(const std::filesystem::path& file, std::uintmax_t bytes) {
  write_file(file, "");
  std::filesystem::resize_file(file, bytes);
}

std::string block_with_tool(const std::string& key, const std::string& env_name, const std::string& more) {
  return "{" + tool_setting(key, env_name) + (more.empty() ? "" : ", " + more) + "}";
}

}  // namespace driftless::test
