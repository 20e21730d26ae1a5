#include "substitute_stage.hpp"

#include <algorithm>
#include <vector>

#include "driftless/toolkit/yaml.hpp"
#include "envsubst.hpp"

namespace driftless::renderers {
namespace {

constexpr const char* kDisableKey = "kustomize.toolkit.fluxcd.io/substitute";
constexpr const char* kNamePattern = "^[_[:alpha:]][_[:alpha:][:digit:]]*$";  // Flux's varsubRegex
constexpr const char* kItem = "[]";  // a sequence item in a key path

bool valid_name(const std::string& name) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  return !name.empty() && alpha(name[0]) &&
         std::all_of(name.begin(), name.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

Result<std::map<std::string, std::string>> checked_variables(const std::string& key, std::map<std::string, std::string> given) {
  for (auto& [name, value] : given) {
    if (!valid_name(name))
      return fail(ErrorCode::invalid_input, key + ": '" + name + "' var name is invalid, must match '" + kNamePattern + "'");
    value.erase(std::remove(value.begin(), value.end(), '\n'), value.end());  // as Flux does
  }
  return given;
}

bool disabled(const Value& body) {
  for (const char* where : {"labels", "annotations"}) {
    const Value* value = body.at_path({"metadata", where, kDisableKey});
    if (value && value->is_string() && value->as_string() == "disabled") return true;
  }
  return false;
}

// Where the Kubernetes API takes only strings: a value there stays a string
// however it reads ("8080" in a ConfigMap), as it does in any Flux setup
// that applies (Flux keeps a quoted "${port}" a string; quotes are gone here).
bool string_only(const std::string& kind, const std::vector<std::string>& path) {
  const std::size_t n = path.size();
  if (n >= 3 && (path[n - 2] == "labels" || path[n - 2] == "annotations") && path[n - 3] == "metadata") return true;
  if (n == 2 && (kind == "ConfigMap" || kind == "Secret") &&
      (path[0] == "data" || path[0] == "binaryData" || path[0] == "stringData"))
    return true;
  if (n >= 2 && path[n - 1] == kItem && (path[n - 2] == "args" || path[n - 2] == "command")) return true;
  return n >= 3 && path[n - 1] == "value" && path[n - 2] == kItem && path[n - 3] == "env";
}

class ObjectSubstitution {
 public:
  ObjectSubstitution(const SubstituteSettings& settings, std::size_t& used) : settings_(settings), used_(used) {}

  Result<void> run(Value& body) {
    kind_ = body.string_or("kind");
    return walk(body);
  }

 private:
  Result<std::string> expand(const std::string& text) {
    const auto lookup = [this](const std::string& name) -> std::optional<std::string> {
      auto found = settings_.variables.find(name);
      if (found == settings_.variables.end()) return std::nullopt;
      return found->second;
    };
    auto result = expand_variables(text, lookup, settings_.strict, settings_.max_output - std::min(used_, settings_.max_output));
    if (result.ok()) used_ += result->size();
    return result;
  }

  Result<void> walk(Value& value) {
    if (value.is_string()) {
      if (value.as_string().find('$') == std::string::npos) return {};
      auto result = expand(value.as_string());
      if (!result.ok()) return result.error();
      if (*result == value.as_string()) return {};
      // Flux reads the substituted text back as YAML: an unquoted "5" is a
      // number. A string that would lose its spelling ("1.10", "0123",
      // "yes") stays one.
      Value typed = yaml_plain_scalar(*result);
      if (!typed.is_string() && !string_only(kind_, path_) && to_json(typed) == *result) value = std::move(typed);
      else value = std::move(*result);
      return {};
    }
    if (value.is_array()) {
      path_.push_back(kItem);
      for (auto& item : value.as_array())
        if (auto done = walk(item); !done.ok()) return done;
      path_.pop_back();
      return {};
    }
    if (!value.is_object()) return {};
    bool renamed = false;
    for (auto& [key, member] : value.as_object()) {
      if (key.find('$') != std::string::npos) {
        auto result = expand(key);
        if (!result.ok()) return result.error();
        renamed = renamed || *result != key;
        key = std::move(*result);
      }
      path_.push_back(key);
      auto done = walk(member);
      path_.pop_back();
      if (!done.ok()) return done;
    }
    if (renamed) {
      Object rebuilt;
      for (auto& [key, member] : value.as_object()) {
        if (rebuilt.find(key)) return fail(ErrorCode::invalid_input, "mapping key \"" + key + "\" is defined twice after substitution");
        rebuilt.append_new(key, std::move(member));
      }
      value = std::move(rebuilt);
    }
    return {};
  }

  const SubstituteSettings& settings_;
  std::size_t& used_;
  std::string kind_;
  std::vector<std::string> path_;
};

}  // namespace

const SettingsSchema<SubstituteSettings>& substitute_schema() {
  using S = SubstituteSettings;
  static const auto schema =
      SettingsSchema<S>()
          .key(ConfigKey("variables", ConfigType::map,
                         "Variables for ${name} expressions (Flux's postBuild.substitute); names must match "
                         "^[_[:alpha:]][_[:alpha:][:digit:]]*$, newlines in values are removed."),
               &S::variables, checked_variables)
          .key(ConfigKey("strict", ConfigType::boolean,
                         "An expression whose variable is unset and that has no default (${name:=default}) is an error "
                         "naming the variable and the object, as Flux's StrictPostBuildSubstitutions feature gate makes it; "
                         "otherwise it reads as empty.")
                   .default_to(false),
               &S::strict)
          .choice(ConfigKey("substituteStrategy", ConfigType::string,
                            "Flux's postBuild.substituteStrategy: `WithVariables` substitutes only when at least one "
                            "variable is set (objects pass through untouched otherwise); `Always` substitutes anyway, "
                            "so that defaults apply.")
                      .default_to("WithVariables"),
                  &S::always, {{"WithVariables", false}, {"Always", true}})
          .key(ConfigKey("maxOutputSize", ConfigType::integer,
                         "Most bytes substitution may produce in one render (a variable used many times, an expression "
                         "that multiplies text); more is an error.")
                   .default_to(std::int64_t{64} * 1024 * 1024),
               &S::max_output, Minimum::positive());
  return schema;
}

void substitute_variables(const SubstituteSettings& settings, RenderResult& out) {
  if (settings.variables.empty() && !settings.always) return;  // Flux's WithVariables strategy
  std::size_t used = 0;
  for (auto& object : out.objects) {
    if (disabled(object.body)) continue;
    Value substituted = object.body;
    if (auto done = ObjectSubstitution(settings, used).run(substituted); !done.ok()) {
      out.diagnostics.push_back({Severity::error, "variable substitution failed: " + done.error().message,
                                 object.origin.file, object.origin.line, object.id()});
      continue;
    }
    object.body = std::move(substituted);
  }
}

}  // namespace driftless::renderers
