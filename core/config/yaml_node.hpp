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
  const bool known = mark.line >= 0;
  return Diagnostic{Severity::error, std::move(message), file.string(), known ? mark.line + 1 : 0, {},
                    known ? mark.column + 1 : 0};
}

}  // namespace driftless::core
