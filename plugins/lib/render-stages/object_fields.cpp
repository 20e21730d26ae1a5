#include "object_fields.hpp"

#include <algorithm>

#include "flux_fields.hpp"

namespace driftless::renderers {

void ObjectFields::say(Severity severity, std::string message) {
  failed_ = failed_ || severity == Severity::error;
  out_.push_back({severity, std::move(message), object_.origin.file, object_.origin.line, object_.id()});
}

void ObjectFields::warn_unknown(const Value* block, const std::string& path, std::initializer_list<std::string_view> known,
                                const std::string& see) {
  if (!block || !block->is_object()) return;
  for (const auto& [key, value] : block->as_object())
    if (std::find(known.begin(), known.end(), key) == known.end())
      warn(path + "." + key + " is not supported by driftless and is ignored" + (see.empty() ? "" : " (" + see + ")"));
}

const Value* ObjectFields::object_at(const Value* parent, std::string_view key, const std::string& path) {
  const Value* v = parent ? parent->find(key) : nullptr;
  if (!v || v->is_null()) return nullptr;
  if (v->is_object()) return v;
  error(path + " must be a mapping");
  return nullptr;
}

const Array& ObjectFields::array_at(const Value* parent, std::string_view key, const std::string& path) {
  static const Array none;
  const Value* v = parent ? parent->find(key) : nullptr;
  if (!v || v->is_null()) return none;
  if (v->is_array()) return v->as_array();
  error(path + " must be a list");
  return none;
}

std::string ObjectFields::string_at(const Value* parent, std::string_view key, const std::string& path, std::string fallback) {
  const Value* v = parent ? parent->find(key) : nullptr;
  if (!v || v->is_null()) return fallback;
  if (v->is_string()) return v->as_string();
  error(path + " must be a string");
  return fallback;
}

std::optional<bool> ObjectFields::maybe_bool_at(const Value* parent, std::string_view key, const std::string& path) {
  const Value* v = parent ? parent->find(key) : nullptr;
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_bool()) return v->as_bool();
  error(path + " must be true or false");
  return std::nullopt;
}

std::int64_t ObjectFields::int_at(const Value* parent, std::string_view key, const std::string& path, std::int64_t fallback) {
  const Value* v = parent ? parent->find(key) : nullptr;
  if (!v || v->is_null()) return fallback;
  if (v->is_int() && v->as_int() >= 0) return v->as_int();
  error(path + " must be a non-negative integer");
  return fallback;
}

std::optional<std::chrono::milliseconds> ObjectFields::duration_at(const Value* parent, std::string_view key,
                                                                   const std::string& path) {
  const std::string text = string_at(parent, key, path);
  if (text.empty()) return std::nullopt;
  auto parsed = parse_go_duration(text);
  if (parsed && parsed->count() > 0) return parsed;
  error(path + ": '" + text + "' is not a duration such as 5m or 1h30m");
  return std::nullopt;
}

std::chrono::seconds ObjectFields::seconds_at(const Value* parent, std::string_view key, const std::string& path,
                                              std::chrono::seconds fallback) {
  auto parsed = duration_at(parent, key, path);
  if (!parsed) return fallback;
  return std::max(std::chrono::seconds(1), std::chrono::round<std::chrono::seconds>(*parsed));
}

}  // namespace driftless::renderers
