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
//   create(config):  auto settings = schema().read(config);  // then checks across keys
//
// The core validates and fills in defaults before create(), so read() only
// copies, converts and checks each key. A key whose type cannot fill its
// field (a boolean key for a string field), or a name declared twice, throws
// std::logic_error when the schema is built: a plugin bug that the plugin's
// first test or `driftless plugins` shows.
#pragma once

#include <algorithm>
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

/// The smallest value an integer or duration key takes (a duration counts in
/// milliseconds); read() refuses less with "NAME must be at least N" or
/// "NAME must be positive".
struct Minimum {
  std::int64_t value;
  std::string wording;  ///< what the error says after the key's name

  /// At least 1 ("timeout must be positive").
  static Minimum positive() { return {1, "must be positive"}; }
  /// At least `value` ("keepSnapshots must be at least 1").
  static Minimum at_least(std::int64_t value) { return {value, "must be at least " + std::to_string(value)}; }
};

namespace detail {

// What a converter takes: the decayed type of its value parameter, and
// whether the key's name comes first.
template <class Function>
struct parameter_of;
template <class R, class Arg>
struct parameter_of<std::function<R(Arg)>> {
  using type = std::remove_cv_t<std::remove_reference_t<Arg>>;
  static constexpr bool takes_name = false;
};
template <class R, class Name, class Arg>
struct parameter_of<std::function<R(Name, Arg)>> {
  using type = std::remove_cv_t<std::remove_reference_t<Arg>>;
  static constexpr bool takes_name = true;
};

}  // namespace detail

template <class Settings>
class SettingsSchema {
 public:
  /// A key that fills `field`. Field types: std::string (string, path),
  /// bool (boolean), integers (integer), std::chrono::milliseconds (duration),
  /// std::vector<std::string> (string_list), std::map<std::string, std::string>
  /// (map), Value (any type, as given). A negative number for an unsigned
  /// field is an error.
  template <class Field>
  SettingsSchema& key(ConfigKey key, Field Settings::*field) {
    return this->key(std::move(key), field, [](const Field& given) -> Result<Field> { return given; });
  }

  /// An integer or duration key whose value must be at least `minimum`.
  template <class Field>
  SettingsSchema& key(ConfigKey key, Field Settings::*field, Minimum minimum) {
    auto read = reader_of(key, field, [](const Field& given) -> Result<Field> { return given; });
    Reader checked = [name = key.name, minimum = std::move(minimum), read](const Value& config, Settings& out) -> Result<void> {
      if (const Value* value = config.find(name); value && value->is_int() && value->as_int() < minimum.value)
        return fail(ErrorCode::invalid_input, name + " " + minimum.wording);
      return read(config, out);
    };
    add(std::move(key), std::move(checked));
    return *this;
  }

  /// A key whose value `convert` turns into the field: a callable taking one
  /// of the field types above (what the key's type gives), optionally after
  /// the key's name (for its messages), and returning Result<Field>. Its
  /// error is the key's error as worded, so it names the key. For values
  /// that need parsing or checking: URLs, globs, paths.
  template <class Field, class Convert>
  SettingsSchema& key(ConfigKey key, Field Settings::*field, Convert convert) {
    auto read = reader_of(key, field, std::move(convert));
    add(std::move(key), std::move(read));
    return *this;
  }

  /// A nested block (ConfigType::object) whose own keys fill the struct
  /// `field`. Nothing happens when the block is absent.
  template <class Nested>
  SettingsSchema& block(ConfigKey key, Nested Settings::*field, SettingsSchema<Nested> nested) {
    return this->block(std::move(key), field, std::move(nested), [](Nested given) -> Result<Nested> { return given; });
  }

  /// A nested block whose keys fill a `Nested` that `convert` (Nested ->
  /// Result<Field>) turns into the field: for a block whose keys together
  /// mean one thing ("exactly one of branch, tag, commit").
  template <class Field, class Nested, class Convert>
  SettingsSchema& block(ConfigKey key, Field Settings::*field, SettingsSchema<Nested> nested, Convert convert) {
    if (key.type != ConfigType::object) throw std::logic_error("config key '" + key.name + "' must be an object block");
    key.children = nested.keys();
    Reader read = [name = key.name, field, nested = std::move(nested), convert = std::move(convert)](const Value& config,
                                                                                                      Settings& out) -> Result<void> {
      const Value* value = config.find(name);
      if (!value || !value->is_object()) return {};
      auto given = nested.read(*value);
      if (!given.ok()) return fail(given.error().code, name + "." + given.error().message);
      Result<Field> converted = convert(std::move(*given));
      if (!converted.ok()) return converted.error();
      out.*field = std::move(*converted);
      return {};
    };
    add(std::move(key), std::move(read));
    return *this;
  }

  /// The keys of `part` at this level, filling the struct `field`: settings
  /// shared by several plugins (limits of a tool), or one plugin made of
  /// others. A key `part` shares with an earlier one is listed once and
  /// fills both fields; it must be declared alike in both (else
  /// std::logic_error). Keys named in `leave_out` are not taken.
  template <class Part>
  SettingsSchema& part(Part Settings::*field, const SettingsSchema<Part>& part, const std::vector<std::string>& leave_out = {}) {
    for (std::size_t i = 0; i < part.keys_.size(); ++i) {
      const ConfigKey& key = part.keys_[i];
      if (std::find(leave_out.begin(), leave_out.end(), key.name) != leave_out.end()) continue;
      auto read = part.readers_[i];
      auto fill = [field, read](const Value& config, Settings& out) -> Result<void> {
        return read ? read(config, out.*field) : Result<void>();
      };
      const ConfigKey* earlier = find_key(key.name);
      if (!earlier) {
        add(key, std::move(fill));
      } else if (alike(*earlier, key)) {
        keys_.push_back(key);
        listed_.push_back(false);
        readers_.push_back(std::move(fill));
      } else {
        throw std::logic_error("config key '" + key.name + "' is declared twice, differently");
      }
    }
    return *this;
  }

  /// A key no longer accepted (ConfigKey::retired): giving it is an error saying `why`.
  SettingsSchema& retired(std::string name, std::string why) {
    add(ConfigKey::retired(std::move(name), std::move(why)), {});
    return *this;
  }

  /// A key that fills an enum `field` from one of `values` (their names become the key's choices).
  template <class Enum>
  SettingsSchema& choice(ConfigKey key, Enum Settings::*field, std::vector<std::pair<std::string, Enum>> values) {
    key.choices.clear();
    for (const auto& [name, value] : values) key.choices.push_back(name);
    Reader read = [name = key.name, field, values = std::move(values)](const Value& config, Settings& out) -> Result<void> {
      const Value* value = config.find(name);
      if (!value || !value->is_string()) return {};
      for (const auto& [text, meaning] : values)
        if (text == value->as_string()) out.*field = meaning;
      return {};
    };
    add(std::move(key), std::move(read));
    return *this;
  }

  /// The keys, each once, in the order declared.
  std::vector<ConfigKey> keys() const {
    std::vector<ConfigKey> out;
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (listed_[i]) out.push_back(keys_[i]);
    return out;
  }

  /// The settings a validated config block gives; fields of absent keys keep
  /// their value in `settings`. The first key (in declared order) whose value
  /// its field cannot take gives the error.
  Result<Settings> read(const Value& config, Settings settings = {}) const {
    for (const auto& reader : readers_)
      if (reader)
        if (auto done = reader(config, settings); !done.ok()) return done.error();
    return settings;
  }

 private:
  template <class>
  friend class SettingsSchema;
  using Reader = std::function<Result<void>(const Value&, Settings&)>;

  template <class Raw>
  static bool fits(ConfigType type) {
    switch (type) {
      case ConfigType::string:
      case ConfigType::path: return std::is_same_v<Raw, std::string> || std::is_same_v<Raw, Value>;
      case ConfigType::boolean: return std::is_same_v<Raw, bool> || std::is_same_v<Raw, Value>;
      case ConfigType::integer:
        return (std::is_integral_v<Raw> && !std::is_same_v<Raw, bool>) || std::is_same_v<Raw, Value>;
      case ConfigType::duration: return std::is_same_v<Raw, std::chrono::milliseconds> || std::is_same_v<Raw, Value>;
      case ConfigType::string_list: return std::is_same_v<Raw, std::vector<std::string>> || std::is_same_v<Raw, Value>;
      case ConfigType::map: return std::is_same_v<Raw, std::map<std::string, std::string>> || std::is_same_v<Raw, Value>;
      case ConfigType::object:
      case ConfigType::any: return std::is_same_v<Raw, Value>;
    }
    return false;
  }

  // Reads the key's value as the type `convert` takes, then converts it into the field.
  template <class Field, class Convert>
  static Reader reader_of(const ConfigKey& key, Field Settings::*field, Convert convert) {
    using Parameter = detail::parameter_of<decltype(std::function(convert))>;
    using Raw = typename Parameter::type;
    if (!fits<Raw>(key.type))
      throw std::logic_error("config key '" + key.name + "' of type " + to_string(key.type) +
                             " cannot fill its settings field");
    return [name = key.name, field, convert = std::move(convert)](const Value& config, Settings& out) -> Result<void> {
      const Value* value = config.find(name);
      if (!value || value->is_null()) return {};
      if constexpr (std::is_integral_v<Raw> && std::is_unsigned_v<Raw> && !std::is_same_v<Raw, bool>)
        if (value->is_int() && value->as_int() < 0)
          return fail(ErrorCode::invalid_input, name + " must not be negative, not " + std::to_string(value->as_int()));
      Raw raw{};
      assign(*value, raw);
      Result<Field> converted = [&] {
        if constexpr (Parameter::takes_name) return convert(name, std::move(raw));
        else return convert(std::move(raw));
      }();
      if (!converted.ok()) return converted.error();
      out.*field = std::move(*converted);
      return {};
    };
  }

  template <class Raw>
  static void assign(const Value& value, Raw& raw) {
    if constexpr (std::is_same_v<Raw, Value>) {
      raw = value;
    } else if constexpr (std::is_same_v<Raw, std::string>) {
      if (value.is_string()) raw = value.as_string();
    } else if constexpr (std::is_same_v<Raw, bool>) {
      if (value.is_bool()) raw = value.as_bool();
    } else if constexpr (std::is_same_v<Raw, std::chrono::milliseconds>) {
      if (value.is_int()) raw = std::chrono::milliseconds(value.as_int());
    } else if constexpr (std::is_integral_v<Raw>) {
      if (value.is_int()) raw = static_cast<Raw>(value.as_int());
    } else if constexpr (std::is_same_v<Raw, std::vector<std::string>>) {
      if (value.is_array())
        for (const auto& item : value.as_array())
          if (item.is_string()) raw.push_back(item.as_string());
    } else if constexpr (std::is_same_v<Raw, std::map<std::string, std::string>>) {
      if (value.is_object())
        for (const auto& [name, item] : value.as_object())
          if (item.is_string()) raw[name] = item.as_string();
    }
  }

  const ConfigKey* find_key(const std::string& name) const {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (listed_[i] && keys_[i].name == name) return &keys_[i];
    return nullptr;
  }

  // Two declarations of one key that the reference can show as one.
  static bool alike(const ConfigKey& a, const ConfigKey& b) {
    return a.type == b.type && a.doc == b.doc && a.is_required == b.is_required && a.default_value == b.default_value &&
           a.choices == b.choices && a.retired_because == b.retired_because && a.children.empty() && b.children.empty();
  }

  void add(ConfigKey key, Reader reader) {
    if (find_key(key.name)) throw std::logic_error("config key '" + key.name + "' is declared twice");
    keys_.push_back(std::move(key));
    listed_.push_back(true);
    readers_.push_back(std::move(reader));
  }

  std::vector<ConfigKey> keys_;   // with readers_ and listed_: one entry per declaration
  std::vector<bool> listed_;      // false for a shared key's later declaration
  std::vector<Reader> readers_;   // empty for a retired key
};

}  // namespace driftless
