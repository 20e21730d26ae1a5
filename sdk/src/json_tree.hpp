// Internal to the SDK: building a Value tree from rapidjson's SAX events,
// shared by parse_json (contract) and the JSON streams of parse_yaml (toolkit).
#pragma once

#include <rapidjson/reader.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "driftless/value.hpp"

namespace driftless::json_detail {

// rapidjson SAX handler building a Value tree; a stack of open containers.
class TreeBuilder {
 public:
  /// How a non-integer number becomes a Value.
  using NumberValue = Value (*)(double);

  /// `max_depth`: nesting beyond it stops the parse (too_deep() tells).
  /// `number_value`: the toolkit's YAML reader passes its own, which makes
  /// integral floats within int64 integers as Kubernetes stores them ("1.0" -> 1);
  /// a function, not a flag, so the contract library needs no YAML code.
  explicit TreeBuilder(std::size_t max_depth = SIZE_MAX, NumberValue number_value = nullptr)
      : max_depth_(max_depth), number_value_(number_value) {}

  bool Null() { return add(Value()); }
  bool Bool(bool b) { return add(Value(b)); }
  bool Int(int i) { return add(Value(static_cast<std::int64_t>(i))); }
  bool Uint(unsigned u) { return add(Value(static_cast<std::int64_t>(u))); }
  bool Int64(std::int64_t i) { return add(Value(i)); }
  bool Uint64(std::uint64_t u) {
    if (u <= static_cast<std::uint64_t>(INT64_MAX)) return add(Value(static_cast<std::int64_t>(u)));
    return add(Value(static_cast<double>(u)));
  }
  bool Double(double d) { return add(number_value_ ? number_value_(d) : Value(d)); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }
  bool String(const char* s, rapidjson::SizeType n, bool) { return add(Value(std::string(s, n))); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    key_ = std::string(s, n);
    return true;
  }
  bool StartObject() { return open(Value(Object())); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Value(Array())); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  Value take() { return std::move(root_); }
  bool too_deep() const { return too_deep_; }

 private:
  // An open container; objects index their keys once they grow, so a
  // mapping of many thousands of keys is not a quadratic search.
  struct Open {
    Value* value;
    std::unordered_map<std::string, std::size_t> index;
  };

  // The slot for the next value of the innermost open container (the last
  // duplicate key wins, as in Go).
  Value& slot() {
    Open& top = stack_.back();
    if (top.value->is_array()) return top.value->as_array().emplace_back();
    Object& object = top.value->as_object();
    if (top.index.empty() && object.size() < kIndexFrom) {
      if (Value* existing = object.find(key_)) return *existing;
    } else {
      if (top.index.empty())
        for (const auto& [k, v] : object) top.index.emplace(k, top.index.size());
      auto [at, added] = top.index.emplace(key_, object.size());
      if (!added) return (object.begin() + static_cast<long>(at->second))->second;
    }
    object.append_new(key_, Value());
    return (object.end() - 1)->second;
  }
  bool add(Value v) {
    if (stack_.empty()) root_ = std::move(v);
    else slot() = std::move(v);
    return true;
  }
  bool open(Value v) {
    if (stack_.size() >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    Value& at = stack_.empty() ? root_ : slot();
    at = std::move(v);
    stack_.push_back({&at, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  static constexpr std::size_t kIndexFrom = 16;
  std::size_t max_depth_;
  NumberValue number_value_;
  bool too_deep_ = false;
  Value root_;
  std::vector<Open> stack_;
  std::string key_;
};

}  // namespace driftless::json_detail
