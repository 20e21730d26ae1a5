#include "argocd_parameters.hpp"

#include "argocd_tools.hpp"

namespace driftless::renderers {
namespace {

void flatten(const Value& value, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (value.is_object() && !value.as_object().empty()) {
    for (const auto& [key, member] : value.as_object()) flatten(member, prefix.empty() ? key : prefix + "." + key, out);
  } else {
    out[prefix] = text_of(value);
  }
}

// The parameter `expression` names ("path.basename", or ".path.basename" in Go mode); nullopt: none.
std::optional<std::string> lookup(bool go, const Parameters& parameters, const std::string& expression) {
  if (!go) {
    auto it = parameters.flat.find(expression);
    return it == parameters.flat.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  const Value* found = &parameters.nested;
  for (std::size_t start = 1; found && start <= expression.size();) {
    const auto dot = expression.find('.', start);
    const std::string key = expression.substr(start, dot - start);
    found = found->is_object() ? found->find(key) : nullptr;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return found ? std::optional<std::string>(text_of(*found)) : std::nullopt;
}

// `text` with each {{...}} replaced by its parameter; false after an error.
bool substitute(ObjectFields& fields, const std::string& field, bool go, bool strict, const Parameters& parameters,
                std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const auto open = text.find("{{", at);
    if (open == std::string::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string expression = text.substr(open + 2, close - open - 2);
    expression.erase(0, expression.find_first_not_of(" \t"));
    expression.erase(expression.find_last_not_of(" \t") + 1);
    if (go && !expression.empty() && expression[0] == '-') expression.erase(0, expression.find_first_not_of("- \t"));
    if (go && !expression.empty() && expression.back() == '-') expression.erase(expression.find_last_not_of("- \t") + 1);
    const bool reference = !go || (expression.size() > 1 && expression[0] == '.' &&
                                   expression.find_first_of(" \t|()\"'") == std::string::npos);
    if (!reference) {
      if (!strict) {
        out += text.substr(at, close + 2 - at);
        at = close + 2;
        continue;
      }
      fields.error(field, "'{{" + expression + "}}': only parameter references such as {{.path.basename}} are "
                          "supported, not template functions or pipelines (" + std::string(kArgocdDocs) + ")");
      return false;
    }
    const auto value = lookup(go, parameters, expression);
    if (!value && strict) {
      fields.error(field, "'{{" + expression + "}}' names no parameter of the generator");
      return false;
    }
    out += text.substr(at, open - at) + (value ? *value : text.substr(open, close + 2 - open));
    at = close + 2;
  }
  text = out + text.substr(at);
  return true;
}

}  // namespace

std::string text_of(const Value& value) {
  if (value.is_string()) return value.as_string();
  return value.is_null() ? "" : to_json(value);
}

Parameters parameters_of(const Value& mapping) {
  Parameters parameters;
  parameters.nested = mapping;
  flatten(mapping, "", parameters.flat);
  return parameters;
}

bool substitute_all(ObjectFields& fields, const std::string& field, bool go, bool strict, const Parameters& parameters,
                    Value& value) {
  if (value.is_string()) return substitute(fields, field, go, strict, parameters, value.as_string());
  if (value.is_array()) {
    for (auto& item : value.as_array())
      if (!substitute_all(fields, field, go, strict, parameters, item)) return false;
  } else if (value.is_object()) {
    for (auto& [key, member] : value.as_object())
      if (!substitute_all(fields, field, go, strict, parameters, member)) return false;
  }
  return true;
}

}  // namespace driftless::renderers
