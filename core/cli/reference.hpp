// The configuration reference generated from the plugins' own key tables, so
// docs/configuration.md can never drift from what the plugins accept.
#pragma once

#include <string>
#include <vector>

#include "driftless/config.hpp"
#include "driftless/value.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// Markdown: one section per loaded plugin, one table row per key (nested
/// keys as dotted names).
std::string config_reference_markdown(const PluginRegistry& registry);

/// The key table as JSON (name, type, required, default, doc, choices, children).
Value config_keys_value(const std::vector<ConfigKey>& keys);

}  // namespace driftless::core
