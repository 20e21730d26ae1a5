// Renders a folder with a real renderer plugin, loaded from the build's plugin
// directory and configured by a YAML block validated as in a config file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"

namespace driftless::test {

struct Rendered {
  std::string config_error;  ///< the block was refused (validation or create())
  RenderResult result;

  /// Every diagnostic, formatted, one per line.
  std::string diagnostics() const;
  /// Kind/namespace/name of every object, in order.
  std::vector<std::string> ids() const;
};

struct RenderCall {
  std::string renderer;                ///< plugin name: "yaml", "helm" ...
  std::string config = "{}";           ///< the config block in YAML
  std::filesystem::path root;          ///< the artifact
  std::string path;                    ///< folder to render
  std::vector<KubeObject> input;       ///< objects of an earlier stage
  const ClusterInfo* cluster = nullptr;
};

/// Renders as the engine would (validated block, fresh instance); the
/// plugins' cache is below `state_dir` ("" = a folder of this process).
/// `source`, when given, lends the artifact its revision and metadata.
Rendered render(const RenderCall& call, const std::filesystem::path& state_dir = {}, const Artifact* source = nullptr);

/// The factory of renderer `name` from the build's plugin directory.
const RendererFactory& renderer_factory(const std::string& name);

/// Config line "kustomizePath: ..." / "helmPath: ..." from the tests/env env file.
std::string tool_setting(const std::string& key, const std::string& env_name);

/// A sparse file of `bytes` bytes (a hostile "1 GB file" that costs no disk).
void sparse_file(const std::filesystem::path& file, std::uintmax_t bytes);

/// A config block "{KEY: <tool from the env file>, MORE}".
std::string block_with_tool(const std::string& key, const std::string& env_name, const std::string& more = "");

}  // namespace driftless::test
