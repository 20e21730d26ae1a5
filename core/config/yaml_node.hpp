// Small bridges between yaml-cpp nodes and our types; only config code uses them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "config/config.hpp"

namespace driftless::core {

/// yaml-cpp marks are 0-based; ours are 1-based.
inline Location yaml_location(const std::filesystem::path& file, const YAML::Mark& mark) {
  return Location{file.string(), mark.line + 1, mark.column + 1};
}

/// An error diagnostic "file:line:column: message".
inline Diagnostic located_error(const std::filesystem::path& file, const YAML::Mark& mark, std::string message) {
  // Diagnostic has no column field; the column goes at the front of the message.
  std::string prefix = mark.line >= 0 ? std::to_string(mark.column + 1) + ": " : "";
  return Diagnostic{Severity::error, prefix + std::move(message), file.string(), mark.line >= 0 ? mark.line + 1 : 0, {}};
}

}  // namespace driftless::core
