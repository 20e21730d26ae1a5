#include "argocd_fields.hpp"

#include <algorithm>

namespace driftless::renderers {

void ArgocdFields::add(Severity severity, const std::string& field, const std::string& text) {
  out_.push_back({severity, (field.empty() ? "" : field + ": ") + text, object_.origin.file, object_.origin.line, object_.id()});
}

void ArgocdFields::unread(const Value* at, const std::string& field, std::initializer_list<const char*> read) {
  if (!at || !at->is_object()) return;
  for (const auto& [key, value] : at->as_object())
    if (std::none_of(read.begin(), read.end(), [&key = key](const char* name) { return key == name; }))
      warn(field + "." + key, "not supported by driftless; ignored (docs/migrating-from-argocd.md)");
}

std::string ArgocdFields::string(const Value* at, const std::string& name, const std::string& field) {
  const Value* value = at ? at->find(name) : nullptr;
  if (!value || value->is_null()) return {};
  if (!value->is_string()) {
    error(field, "must be a string");
    return {};
  }
  return value->as_string();
}

}  // namespace driftless::renderers
