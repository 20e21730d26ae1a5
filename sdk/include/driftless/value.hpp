// A JSON document tree: the shape of every Kubernetes object and of every plugin
// config block. Objects keep their keys in insertion order so output is stable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "driftless/result.hpp"

namespace driftless {

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;

/// A JSON object: ordered members with unique keys.
class Object {
 public:
  /// The member named `key`, or nullptr.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  /// The member named `key`, inserting null at the end when missing.
  Value& operator[](std::string_view key);
  /// Sets `key` to `value`, keeping its position when it exists.
  void set(std::string_view key, Value value);
  /// Appends a member without searching: only for a key the caller knows is
  /// new (parsers that index their keys themselves).
  void append_new(std::string key, Value value);
  /// Room for `count` members without reallocating.
  void reserve(std::size_t count);
  /// Removes `key`; true when it was there.
  bool erase(std::string_view key);

  // Defined below Value: a member of std::vector<Member> may be used only once
  // Value is complete (clang insists; GCC is lenient).
  std::size_t size() const;
  bool empty() const;
  std::vector<Member>::const_iterator begin() const;
  std::vector<Member>::const_iterator end() const;
  std::vector<Member>::iterator begin();
  std::vector<Member>::iterator end();
  bool operator==(const Object& other) const;

 private:
  std::vector<Member> members_;
};

/// The kind of a Value.
enum class ValueType { null, boolean, integer, number, string, array, object };

/// Name of a value type as used in error messages ("string", "object", ...).
const char* to_string(ValueType type);

/// A JSON value. Integers that fit int64 stay exact; other numbers are doubles.
class Value {
 public:
  /// A value of each type, implicitly: `labels.set("team", "payments")`,
  /// `Value replicas = 3`. The default is null.
  ///@{
  Value() = default;
  Value(std::nullptr_t) {}                                 // NOLINT
  Value(bool b) : data_(b) {}                              // NOLINT
  Value(int i) : data_(static_cast<std::int64_t>(i)) {}    // NOLINT
  Value(std::int64_t i) : data_(i) {}                      // NOLINT
  Value(double d) : data_(d) {}                            // NOLINT
  Value(std::string s) : data_(std::move(s)) {}            // NOLINT
  Value(std::string_view s) : data_(std::string(s)) {}     // NOLINT
  Value(const char* s) : data_(std::string(s)) {}         // NOLINT
  Value(Array a) : data_(std::move(a)) {}                  // NOLINT
  Value(Object o) : data_(std::move(o)) {}                 // NOLINT
  ///@}

  /// The type held.
  ValueType type() const { return static_cast<ValueType>(data_.index()); }
  /// Whether the value holds that type; is_number() is also true for integers.
  ///@{
  bool is_null() const { return type() == ValueType::null; }
  bool is_bool() const { return type() == ValueType::boolean; }
  bool is_int() const { return type() == ValueType::integer; }
  bool is_number() const { return type() == ValueType::number || is_int(); }
  bool is_string() const { return type() == ValueType::string; }
  bool is_array() const { return type() == ValueType::array; }
  bool is_object() const { return type() == ValueType::object; }
  ///@}

  /// The value held. Each requires its type (check with is_...() first, or use
  /// string_or()): the wrong one throws std::bad_variant_access.
  ///@{
  bool as_bool() const { return std::get<bool>(data_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(data_); }
  /// Any number as a double.
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(data_); }
  std::string& as_string() { return std::get<std::string>(data_); }
  const Array& as_array() const { return std::get<Array>(data_); }
  Array& as_array() { return std::get<Array>(data_); }
  const Object& as_object() const { return std::get<Object>(data_); }
  Object& as_object() { return std::get<Object>(data_); }
  ///@}

  /// Member lookup on an object; nullptr when this is not an object or the key is missing.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  /// Follows a path of keys ({"metadata", "name"}); nullptr when any step is missing.
  const Value* at_path(std::initializer_list<std::string_view> keys) const;
  /// The string at `key`, or `fallback` when missing or not a string.
  std::string string_or(std::string_view key, std::string_view fallback = {}) const;

  /// Deep equality; an integer never equals a double.
  bool operator==(const Value& other) const { return data_ == other.data_; }

 private:
  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> data_;
};

inline void Object::reserve(std::size_t count) { members_.reserve(count); }
inline std::size_t Object::size() const { return members_.size(); }
inline bool Object::empty() const { return members_.empty(); }
inline std::vector<Member>::const_iterator Object::begin() const { return members_.begin(); }
inline std::vector<Member>::const_iterator Object::end() const { return members_.end(); }
inline std::vector<Member>::iterator Object::begin() { return members_.begin(); }
inline std::vector<Member>::iterator Object::end() { return members_.end(); }

/// Compact JSON text of `value` (keys in stored order).
std::string to_json(const Value& value);

/// Parses one JSON document. The error message carries the byte offset.
Result<Value> parse_json(std::string_view text);

}  // namespace driftless
