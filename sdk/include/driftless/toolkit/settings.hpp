// A plugin's config keys declared once, each with the field of the plugin's
// settings struct it fills, so no plugin reads its config back by string:
//
//   const SettingsSchema<Settings>& schema() {
//     static const auto s = SettingsSchema<Settings>()
//         .key(ConfigKey("path", ConfigType::path, "Directory to write to.").required(), &Settings::path)
//         .key(ConfigKey("prune", ConfigType::boolean, "Delete what left.").default_to(true), &Settings::prune);
//     return s;
//   }
//   std::vector<ConfigKey> config_keys() const override { return schema().keys(); }
//   create(config):  auto settings = schema().read(config);  // then semantic checks
//
// The core validates and fills in defaults before create(), so read() only
// copies. A key whose type cannot fill its field (a boolean key for a string
// field) throws std::logic_error when the schema is built: a plugin bug that
// the plugin's first test or `driftless plugins` shows.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "driftless/config.hpp"
#include "driftless/result.hpp"
#include "driftless/value.hpp"

namespace driftless {

template <class Settings>
class SettingsSchema {
 public:
  /// A key that fills `field`. Field types: std::string (string, path),
  /// bool (boolean), integers (integer), std::chrono::milliseconds (duration),
  /// std::vector<std::string> (string_list), std::map<std::string, std::string>
  /// (map), Value (any type, as given).
  template <class Field>
  SettingsSchema& key(ConfigKey key, Field Settings::*field) {
    if (!fits<Field>(key.type))
      throw std::logic_error("config key '" + key.name + "' of type " + to_string(key.type) +
                             " cannot fill its settings field");
    readers_.push_back([name = key.name, field](const Value& config, Settings& out) -> Result<void> {
      const Value* value = config.find(name);
      if (!value || value->is_null()) return {};
      if constexpr (std::is_integral_v<Field> && std::is_unsigned_v<Field> && !std::is_same_v<Field, bool>)
        if (value->is_int() && value->as_int() < 0)
          return fail(ErrorCode::invalid_input, name + " must not be negative, not " + std::to_string(value->as_int()));
      assign(*value, out.*field);
      return {};
    });
    keys_.push_back(std::move(key));
    return *this;
  }

  /// A nested block (ConfigType::object) whose own keys fill the struct `field`.
  template <class Nested>
  SettingsSchema& block(ConfigKey key, Nested Settings::*field, SettingsSchema<Nested> nested) {
    if (key.type != ConfigType::object) throw std::logic_error("config key '" + key.name + "' must be an object block");
    key.children = nested.keys();
    readers_.push_back([name = key.name, field, nested = std::move(nested)](const Value& config, Settings& out) -> Result<void> {
      const Value* value = config.find(name);
      if (!value || !value->is_object()) return {};
      auto read = nested.read(*value);
      if (!read.ok()) return fail(read.error().code, name + "." + read.error().message);
      out.*field = std::move(*read);
      return {};
    });
    keys_.push_back(std::move(key));
    return *this;
  }

  /// A key no longer accepted (ConfigKey::retired): giving it is an error saying `why`.
  SettingsSchema& retired(std::string name, std::string why) {
    keys_.push_back(ConfigKey::retired(std::move(name), std::move(why)));
    return *this;
  }

  const std::vector<ConfigKey>& keys() const { return keys_; }

  /// A key that fills an enum `field` from one of `values` (their names become the key's choices).
  template <class Enum>
  SettingsSchema& choice(ConfigKey key, Enum Settings::*field, std::vector<std::pair<std::string, Enum>> values) {
    key.choices.clear();
    for (const auto& [name, value] : values) key.choices.push_back(name);
    readers_.push_back([name = key.name, field, values = std::move(values)](const Value& config, Settings& out) -> Result<void> {
      const Value* value = config.find(name);
      if (!value || !value->is_string()) return {};
      for (const auto& [text, meaning] : values)
        if (text == value->as_string()) out.*field = meaning;
      return {};
    });
    keys_.push_back(std::move(key));
    return *this;
  }

  /// The settings a validated config block gives; fields of absent keys keep
  /// their value in `settings`. An error for a negative number given to an
  /// unsigned field (the core does not know fields' ranges).
  Result<Settings> read(const Value& config, Settings settings = {}) const {
    for (const auto& reader : readers_)
      if (auto done = reader(config, settings); !done.ok()) return done.error();
    return settings;
  }

 private:
  template <class Field>
  static bool fits(ConfigType type) {
    switch (type) {
      case ConfigType::string:
      case ConfigType::path: return std::is_same_v<Field, std::string> || std::is_same_v<Field, Value>;
      case ConfigType::boolean: return std::is_same_v<Field, bool> || std::is_same_v<Field, Value>;
      case ConfigType::integer:
        return (std::is_integral_v<Field> && !std::is_same_v<Field, bool>) || std::is_same_v<Field, Value>;
      case ConfigType::duration: return std::is_same_v<Field, std::chrono::milliseconds> || std::is_same_v<Field, Value>;
      case ConfigType::string_list: return std::is_same_v<Field, std::vector<std::string>> || std::is_same_v<Field, Value>;
      case ConfigType::map: return std::is_same_v<Field, std::map<std::string, std::string>> || std::is_same_v<Field, Value>;
      case ConfigType::object:
      case ConfigType::any: return std::is_same_v<Field, Value>;
    }
    return false;
  }

  template <class Field>
  static void assign(const Value& value, Field& field) {
    if constexpr (std::is_same_v<Field, Value>) {
      field = value;
    } else if constexpr (std::is_same_v<Field, std::string>) {
      if (value.is_string()) field = value.as_string();
    } else if constexpr (std::is_same_v<Field, bool>) {
      if (value.is_bool()) field = value.as_bool();
    } else if constexpr (std::is_same_v<Field, std::chrono::milliseconds>) {
      if (value.is_int()) field = std::chrono::milliseconds(value.as_int());
    } else if constexpr (std::is_integral_v<Field>) {
      if (value.is_int()) field = static_cast<Field>(value.as_int());
    } else if constexpr (std::is_same_v<Field, std::vector<std::string>>) {
      field.clear();
      if (value.is_array())
        for (const auto& item : value.as_array())
          if (item.is_string()) field.push_back(item.as_string());
    } else if constexpr (std::is_same_v<Field, std::map<std::string, std::string>>) {
      field.clear();
      if (value.is_object())
        for (const auto& [name, item] : value.as_object())
          if (item.is_string()) field[name] = item.as_string();
    }
  }

  std::vector<ConfigKey> keys_;
  std::vector<std::function<Result<void>(const Value&, Settings&)>> readers_;
};

}  // namespace driftless
