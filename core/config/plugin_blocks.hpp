// Checks every plugin block of a config against the keys its plugin declares,
// fills in defaults, and lets the plugin check the values (factory create()).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "driftless/config.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// Validates all blocks of `config` in place (PluginBlock::config is filled).
/// Returns the problems found, each naming file:line:column and the key.
std::vector<Diagnostic> validate_plugin_blocks(Config& config, const PluginRegistry& registry);

/// Checks a block given as a Value (a plugin asking the core for a source)
/// the same way as one written in the config file.
Result<Value> check_plugin_value(const std::vector<ConfigKey>& keys, const Value& spec, const std::string& what);

/// Replaces "{{folder}}" and "{{path}}" in every string of `value`.
Value expand_templates(const Value& value, const std::string& folder, const std::string& path);
std::string expand_templates(const std::string& text, const std::string& folder, const std::string& path);

}  // namespace driftless::core
