#include "argocd_parameters.hpp"

#include "argocd_tools.hpp"
#include "go_template.hpp"

namespace driftless::renderers {
namespace {

void flatten(const Value& value, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (value.is_object() && !value.as_object().empty()) {
    for (const auto& [key, member] : value.as_object()) flatten(member, prefix.empty() ? key : prefix + "." + key, out);
  } else {
    out[prefix] = text_of(value);
  }
}

// The value of `expression`: a flat parameter name (fasttemplate), or a Go
// template action over the nested parameters.
Result<std::string> value_of(bool go, const Parameters& parameters, const std::string& expression) {
  if (go) {
    auto value = evaluate_action(expression, parameters.nested);
    if (!value.ok()) return value.error();
    return text_of(*value);
  }
  auto it = parameters.flat.find(expression);
  if (it == parameters.flat.end()) return fail(ErrorCode::not_found, "no parameter is named " + expression);
  return it->second;
}

constexpr std::size_t kMaxAdded = 8 << 20;  // bytes the parameters may add to one template

// `text` with each {{...}} replaced by its parameter, taking what it adds out
// of `budget`; false after an error.
bool substitute(ObjectFields& fields, const std::string& field, bool go, bool strict, const Parameters& parameters,
                std::string& text, std::size_t& budget) {
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
    const auto value = value_of(go, parameters, expression);
    if (!value.ok() && strict) {
      fields.error(field, "'{{" + expression + "}}': " + value.error().message + " (" + std::string(kArgocdDocs) + ")");
      return false;
    }
    const std::size_t added = value.ok() ? value->size() : 0;
    if (added > budget) {
      fields.error(field, "the parameters would add more than " + std::to_string(kMaxAdded) + " bytes to the template");
      return false;
    }
    budget -= added;
    out += text.substr(at, open - at) + (value.ok() ? *value : text.substr(open, close + 2 - open));
    at = close + 2;
  }
  text = out + text.substr(at);
  return true;
}

}  // namespace

Parameters parameters_of(const Value& mapping) {
  Parameters parameters;
  parameters.nested = mapping;
  flatten(mapping, "", parameters.flat);
  return parameters;
}

namespace {

bool substitute_within(ObjectFields& fields, const std::string& field, bool go, bool strict, const Parameters& parameters,
                       Value& value, std::size_t& budget) {
  if (value.is_string()) return substitute(fields, field, go, strict, parameters, value.as_string(), budget);
  if (value.is_array()) {
    for (auto& item : value.as_array())
      if (!substitute_within(fields, field, go, strict, parameters, item, budget)) return false;
  } else if (value.is_object()) {
    for (auto& [key, member] : value.as_object())
      if (!substitute_within(fields, field, go, strict, parameters, member, budget)) return false;
  }
  return true;
}

}  // namespace

bool substitute_all(ObjectFields& fields, const std::string& field, bool go, bool strict, const Parameters& parameters,
                    Value& value) {
  std::size_t budget = kMaxAdded;
  return substitute_within(fields, field, go, strict, parameters, value, budget);
}

}  // namespace driftless::renderers
