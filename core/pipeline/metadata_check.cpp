#include "pipeline/metadata_check.hpp"

namespace driftless::core {
namespace {

// "a boolean", "an integer".
std::string a_type(ValueType type) {
  const std::string name = to_string(type);
  return (name.find_first_of("aeiou") == 0 ? "an " : "a ") + name;
}

}  // namespace

std::vector<std::string> string_map_problems(const KubeObject& object) {
  std::vector<std::string> out;
  for (const char* field : {"labels", "annotations"}) {
    const Value* map = object.body.at_path({"metadata", field});
    if (!map || map->is_null()) continue;
    const std::string where = std::string("metadata.") + field;
    if (!map->is_object()) {
      out.push_back(where + " must be a mapping of strings, not " + a_type(map->type()));
      continue;
    }
    for (const auto& [key, value] : map->as_object()) {
      if (value.is_string() || value.is_null()) continue;
      const bool scalar = value.is_bool() || value.is_number();
      out.push_back(where + " '" + key + "' is " + (scalar ? to_json(value) + ", " : "") + a_type(value.type()) +
                    "; Kubernetes takes only strings there" + (scalar ? ": quote it (\"" + to_json(value) + "\")" : ""));
    }
  }
  return out;
}

}  // namespace driftless::core
