#include "ownership.hpp"

#include <driftless/hash.hpp>

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

bool covers(const Value& fields, const Value& desired) {
  if (!desired.is_object()) return true;
  if (!fields.is_object()) return false;
  for (const auto& [name, value] : desired.as_object()) {
    if (value.is_null()) continue;
    const Value* sub = fields.as_object().find("f:" + name);
    if (!sub) return false;
    // An empty entry owns the whole value: an atomic map (a Service selector).
    const bool atomic = sub->is_object() && sub->as_object().empty();
    if (value.is_object() && !atomic && !covers(*sub, value)) return false;
    if (value.is_array() && !covers_list(*sub, value.as_array())) return false;
  }
  return true;
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
  if (!fields) return false;
  // apiVersion, kind, name and namespace identify the object; they are never in managedFields.
  Value owned = desired;
  owned.as_object().erase("apiVersion");
  owned.as_object().erase("kind");
  owned.as_object().erase("status");  // never applied to the main resource
  if (Value* m = owned.find("metadata"); m && m->is_object()) {
    m->as_object().erase("name");
    m->as_object().erase("namespace");
    if (m->as_object().empty()) owned.as_object().erase("metadata");
  }
  return covers(*fields, owned);
}

}  // namespace driftless::kube
