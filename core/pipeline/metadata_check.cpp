#include "pipeline/metadata_check.hpp"

#include <utility>

namespace driftless::core {
namespace {

// "a boolean", "an integer".
std::string a_type(ValueType type) {
  const std::string name = to_string(type);
  return (name.find_first_of("aeiou") == 0 ? "an " : "a ") + name;
}

// The labels and annotations of one metadata block ("metadata", "spec.template.metadata").
void check_block(const Value& metadata, const std::string& where, std::vector<std::string>& out) {
  for (const char* field : {"labels", "annotations"}) {
    const Value* map = metadata.find(field);
    if (!map || map->is_null()) continue;
    const std::string name = where + "." + field;
    if (!map->is_object()) {
      out.push_back(name + " must be a mapping of strings, not " + a_type(map->type()));
      continue;
    }
    for (const auto& [key, value] : map->as_object()) {
      if (value.is_string() || value.is_null()) continue;
      const bool scalar = value.is_bool() || value.is_number();
      out.push_back(name + " '" + key + "' is " + (scalar ? to_json(value) + ", " : "") + a_type(value.type()) +
                    "; Kubernetes takes only strings there" + (scalar ? ": quote it (\"" + to_json(value) + "\")" : ""));
    }
  }
}

}  // namespace

std::vector<std::string> string_map_problems(const KubeObject& object) {
  std::vector<std::string> out;
  // The object's own metadata, and its pod template's (Deployment, Job, ...).
  for (const auto& [metadata, where] : {std::pair{object.body.find("metadata"), "metadata"},
                                        std::pair{object.body.at_path({"spec", "template", "metadata"}), "spec.template.metadata"}})
    if (metadata && metadata->is_object()) check_block(*metadata, where, out);
  return out;
}

}  // namespace driftless::core
