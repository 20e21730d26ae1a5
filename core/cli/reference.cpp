#include "cli/reference.hpp"

namespace driftless::core {
namespace {

// 300000 ms -> "5m", 90000 -> "1m30s": durations as users write them.
std::string duration_text(std::int64_t ms) {
  std::string out;
  for (const auto& [unit, size] : {std::pair<const char*, std::int64_t>{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}})
    if (ms >= size) {
      out += std::to_string(ms / size) + unit;
      ms %= size;
    }
  return out.empty() ? "0s" : out;
}

std::string default_text(const ConfigKey& key) {
  if (key.is_required) return "required";
  if (key.default_value.is_null()) return "";
  if (key.type == ConfigType::duration && key.default_value.is_int()) return "`" + duration_text(key.default_value.as_int()) + "`";
  return "`" + to_json(key.default_value) + "`";
}

void rows(const std::vector<ConfigKey>& keys, const std::string& prefix, std::string& out) {
  for (const auto& key : keys) {
    if (!key.retired_because.empty()) continue;
    std::string type = to_string(key.type);
    if (!key.choices.empty()) {
      type = "";
      for (const auto& c : key.choices) type += (type.empty() ? "" : " \\| ") + ("`" + c + "`");
    }
    out += "| `" + prefix + key.name + "` | " + type + " | " + default_text(key) + " | " + key.doc + " |\n";
    rows(key.children, prefix + key.name + ".", out);
  }
}

}  // namespace

std::string config_reference_markdown(const PluginRegistry& registry) {
  std::string out;
  for (const auto* p : registry.by_kind()) {
    out += "### " + std::string(to_string(p->kind)) + " `" + p->name + "`\n\n" + p->description + ".\n\n";
    const auto keys = p->factory->config_keys();
    if (keys.empty()) {
      out += "No keys.\n\n";
      continue;
    }
    out += "| key | type | default | meaning |\n|---|---|---|---|\n";
    rows(keys, "", out);
    out += "\n";
  }
  return out;
}

Value config_keys_value(const std::vector<ConfigKey>& keys) {
  Array out;
  for (const auto& key : keys) {
    Object o;
    o.set("name", key.name);
    o.set("type", to_string(key.type));
    o.set("required", key.is_required);
    if (!key.default_value.is_null()) o.set("default", key.default_value);
    o.set("doc", key.doc);
    if (!key.choices.empty()) {
      Array choices;
      for (const auto& c : key.choices) choices.emplace_back(c);
      o.set("choices", std::move(choices));
    }
    if (!key.children.empty()) o.set("keys", config_keys_value(key.children));
    out.emplace_back(std::move(o));
  }
  return Value(std::move(out));
}

}  // namespace driftless::core
