// How a plugin describes the keys of its config block. The core validates every
// block against this table when the config is loaded (unknown keys are errors),
// fills in defaults, and generates the configuration reference from it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "driftless/value.hpp"

namespace driftless {

/// Type of a config key's value.
enum class ConfigType {
  string,
  path,         ///< a filesystem path; relative ones are resolved against the config file's folder
  integer,
  boolean,
  duration,     ///< "30s", "5m", "1h30m"; delivered to the plugin as integer milliseconds
  string_list,  ///< a list of strings
  object,       ///< a nested block described by `children`
  map,          ///< free-form string -> string map (labels, annotations)
  any,          ///< any YAML value, passed through (e.g. Helm values)
};

/// Name of a config type as written in the docs ("string", "duration", ...).
const char* to_string(ConfigType type);

/// One key a plugin accepts. Built fluently:
/// ```
/// ConfigKey("url", ConfigType::string, "Repository URL.").required()
/// ConfigKey("prune", ConfigType::boolean, "Delete what left Git.").default_to(true)
/// ```
struct ConfigKey {
  ConfigKey(std::string key_name, ConfigType key_type, std::string key_doc)
      : name(std::move(key_name)), type(key_type), doc(std::move(key_doc)) {}

  /// The key must be present.
  ConfigKey& required() { is_required = true; return *this; }
  /// Value used when the key is absent.
  ConfigKey& default_to(Value value) { default_value = std::move(value); return *this; }
  /// Allowed values of a string key.
  ConfigKey& one_of(std::vector<std::string> values) { choices = std::move(values); return *this; }
  /// Keys of a nested block (type object).
  ConfigKey& with_children(std::vector<ConfigKey> keys) { children = std::move(keys); return *this; }
  /// A key no longer accepted: giving it is an error saying `why` (what to do
  /// instead), rather than a bare "unknown key". Left out of the reference.
  static ConfigKey retired(std::string key_name, std::string why) {
    ConfigKey key(std::move(key_name), ConfigType::any, {});
    key.retired_because = std::move(why);
    return key;
  }

  std::string name;
  ConfigType type;
  std::string doc;                  ///< one sentence for the reference
  bool is_required = false;
  Value default_value;              ///< null means "no default"
  std::vector<ConfigKey> children;
  std::vector<std::string> choices; ///< empty = any
  std::string retired_because;      ///< set by retired(): the key is refused with this text
};

}  // namespace driftless
