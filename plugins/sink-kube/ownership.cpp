#include "ownership.hpp"

#include <driftless/toolkit/hash.hpp>

#include <algorithm>

#include "labels.hpp"

namespace driftless::kube {
namespace {

bool covers(const Value& fields, const Value& desired);

// A list item of an associative list is owned through a "k:{...}" entry whose
// key fields match the item (key fields the item leaves out were defaulted by
// the server); a set of scalars through "v:<json>"; an atomic list as a whole.
bool covers_list(const Value& fields, const Array& items) {
  if (!fields.is_object()) return false;
  bool keyed = false;
  for (const auto& [name, sub] : fields.as_object())
    if (name.rfind("k:", 0) == 0 || name.rfind("v:", 0) == 0 || name.rfind("i:", 0) == 0) keyed = true;
  if (!keyed) return true;
  for (const auto& item : items) {
    if (item.is_null()) continue;
    if (!item.is_object()) {
      if (!fields.as_object().find("v:" + to_json(item))) return false;
      continue;
    }
    bool found = false;
    for (const auto& [name, sub] : fields.as_object()) {
      if (name.rfind("k:", 0) != 0) continue;
      auto key = parse_json(std::string_view(name).substr(2));
      if (!key.ok() || !key->is_object()) continue;
      bool matches = false, contradicts = false;
      for (const auto& [field, value] : key->as_object()) {
        const Value* mine = item.find(field);
        if (!mine) continue;
        if (*mine == value) matches = true;
        else contradicts = true;
      }
      if (matches && !contradicts) {
        found = covers(sub, item);
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// Every member of `object` but those in `skip` is owned in `fields`.
bool covers_members(const Value& fields, const Object& object, std::initializer_list<std::string_view> skip) {
  if (!fields.is_object()) return false;
  for (const auto& [name, value] : object) {
    if (value.is_null() || std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    const Value* sub = fields.as_object().find("f:" + name);
    if (!sub || !covers(*sub, value)) return false;
  }
  return true;
}

bool covers(const Value& fields, const Value& desired) {
  if (desired.is_array()) return covers_list(fields, desired.as_array());
  if (!desired.is_object()) return true;
  // An empty entry owns the whole value: an atomic map (a Service selector).
  if (fields.is_object() && fields.as_object().empty()) return true;
  return covers_members(fields, desired.as_object(), {});
}

const Value* our_apply_fields(const Value& metadata) {
  const Value* entries = metadata.find("managedFields");
  if (!entries || !entries->is_array()) return nullptr;
  for (const auto& entry : entries->as_array())
    if (entry.string_or("manager") == kFieldManager && entry.string_or("operation") == "Apply" &&
        entry.string_or("subresource").empty())
      return entry.find("fieldsV1");
  return nullptr;
}

}  // namespace

std::string desired_hash(const Value& body) { return sha256_hex(to_json(body)).substr(0, 32); }

bool still_in_sync(const Value& live, const Value& desired, const std::string& hash) {
  const Value* metadata = live.find("metadata");
  if (!metadata) return false;
  const Value* annotations = metadata->find("annotations");
  if (!annotations || annotations->string_or(kHashAnnotation) != hash) return false;
  const Value* fields = our_apply_fields(*metadata);
  if (!fields || !desired.is_object()) return false;
  // apiVersion, kind, name and namespace identify the object: never in managedFields;
  // status is never applied to the main resource.
  if (!covers_members(*fields, desired.as_object(), {"apiVersion", "kind", "status", "metadata"})) return false;
  static const Value kNone{Object{}};
  const Value* owned = fields->find("f:metadata");
  const Value& owned_metadata = owned ? *owned : kNone;
  // The labels every apply adds (applied_object) are ours as well.
  static const Object kSinkMetadata = [] {
    Object labels;
    labels.set(kManagedByLabel, kManagedByValue);
    labels.set(kPipelineLabel, "");
    Object added;
    added.set("labels", Value(std::move(labels)));
    return added;
  }();
  if (!covers_members(owned_metadata, kSinkMetadata, {})) return false;
  const Value* desired_metadata = desired.find("metadata");
  return !desired_metadata || !desired_metadata->is_object() ||
         covers_members(owned_metadata, desired_metadata->as_object(), {"name", "namespace"});
}

}  // namespace driftless::kube
