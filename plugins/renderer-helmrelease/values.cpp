#include "values.hpp"

#include <algorithm>
#include <cctype>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "helm_stage.hpp"

namespace driftless::helmrelease {
namespace {

using renderers::merge_into;

// The segments of a targetPath ("a.b\.c" -> a, b.c); nullopt when it uses list
// indexes, which driftless does not support.
std::optional<std::vector<std::string>> path_segments(const std::string& path) {
  std::vector<std::string> segments(1);
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '[') return std::nullopt;
    if (path[i] == '\\' && i + 1 < path.size()) segments.back() += path[++i];
    else if (path[i] == '.') segments.emplace_back();
    else segments.back() += path[i];
  }
  for (const auto& s : segments)
    if (s.empty()) return std::nullopt;
  return segments;
}

// A value as `helm --set` reads it: true/false, null, integers, else a string.
Value typed(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null") return nullptr;
  std::size_t digits = text.size() > 1 && text[0] == '-' ? 1 : 0;
  bool numeric = digits < text.size() && text.size() - digits < 19 && (text[digits] != '0' || text.size() == digits + 1);
  for (std::size_t i = digits; numeric && i < text.size(); ++i) numeric = std::isdigit(static_cast<unsigned char>(text[i]));
  if (numeric) return static_cast<std::int64_t>(std::stoll(text));
  return text;
}

void set_at(Value& root, const std::vector<std::string>& segments, Value value) {
  Value* node = &root;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (!node->is_object()) *node = Object{};
    node = &node->as_object()[segments[i]];
  }
  if (!node->is_object()) *node = Object{};
  node->as_object().set(segments.back(), std::move(value));
}

void collect_strings(const Value& value, std::vector<std::string>& out) {
  if (value.is_string() && value.as_string().size() >= 4) out.push_back(value.as_string());
  if (value.is_array())
    for (const auto& item : value.as_array()) collect_strings(item, out);
  if (value.is_object())
    for (const auto& [key, item] : value.as_object()) collect_strings(item, out);
}

}  // namespace

bool merge_values(const KubeObject& object, const ReleaseSpec& spec, const RenderIndex& index, const ChartFileReader& chart_file,
                  const ClusterObjectReader& from_cluster, Release& release, std::vector<Diagnostic>& out) {
  bool ok = true;
  auto error = [&](std::string message) {
    out.push_back(finding(object, Severity::error, std::move(message)));
    ok = false;
  };
  release.values = Object{};
  for (const auto& ref : spec.values_from) {
    if (ref.kind == "ChartFile") {
      auto text = chart_file(ref.key);
      if (!text.ok()) {
        if (!ref.optional || text.error().code != ErrorCode::not_found) error(ref.field + ": " + text.error().message);
        continue;
      }
      auto parsed = parse_yaml(*text, "chart file " + ref.key);
      if (has_errors(parsed.diagnostics) || parsed.documents.size() > 1 ||
          (!parsed.documents.empty() && !parsed.documents[0].value.is_object())) {
        error(ref.field + ": " + ref.key + " of the chart is not a YAML mapping of values");
        continue;
      }
      if (!parsed.documents.empty()) merge_into(release.values, parsed.documents[0].value);
      continue;
    }
    const std::string what = ref.kind + " " + ref.namespace_name + "/" + ref.name;
    // The render first (Git is the truth), then the cluster (a Secret created
    // there by hand or by another tool, as Flux reads it).
    const KubeObject* source = nullptr;
    Result<KubeObject> live = fail(ErrorCode::not_found, what);
    if (auto it = index.find(render_index_key(ref.kind, ref.namespace_name, ref.name)); it != index.end()) {
      source = it->second;
    } else if (live = from_cluster(ref.kind, ref.namespace_name, ref.name); live.ok()) {
      source = &*live;
    } else if (live.error().code != ErrorCode::not_found) {
      error(ref.field + ": reading " + what + " from the cluster: " + live.error().message);
      continue;
    }
    if (!source) {
      if (!ref.optional)
        error(ref.field + ": " + what + " is neither in this render nor in the cluster (mark the entry optional: true if "
              "it may be missing)");
      continue;
    }
    auto data = object_data(*source);
    if (!data.ok()) {
      error(ref.field + ": " + data.error().message);
      continue;
    }
    auto entry = data->find(ref.key);
    if (entry == data->end()) {
      if (!ref.optional) error(ref.field + ": " + what + " has no key '" + ref.key + "'");
      continue;
    }
    const bool secret = ref.kind == "Secret";
    if (secret) release.secret_texts.push_back(entry->second);
    if (!ref.target_path.empty()) {
      auto segments = path_segments(ref.target_path);
      if (!segments) {
        error(ref.field + ".targetPath '" + ref.target_path + "' is not supported (dotted keys only, no list indexes)");
        continue;
      }
      set_at(release.values, *segments, typed(entry->second));
      continue;
    }
    // Secret content stays out of messages: its parse errors name the key only.
    auto parsed = parse_yaml(entry->second, what + " key " + ref.key);
    if (has_errors(parsed.diagnostics) || parsed.documents.size() > 1 ||
        (!parsed.documents.empty() && !parsed.documents[0].value.is_object())) {
      error(ref.field + ": key '" + ref.key + "' of " + what + " is not a YAML mapping of values");
      continue;
    }
    if (parsed.documents.empty()) continue;
    if (secret) collect_strings(parsed.documents[0].value, release.secret_texts);
    merge_into(release.values, parsed.documents[0].value);
  }
  if (spec.values.is_object()) merge_into(release.values, spec.values);
  return ok;
}

bool needs_cluster(const ReleaseSpec& spec, const RenderIndex& index) {
  return std::any_of(spec.values_from.begin(), spec.values_from.end(), [&](const ValuesReference& ref) {
    return ref.kind != "ChartFile" && !index.count(render_index_key(ref.kind, ref.namespace_name, ref.name));
  });
}

std::shared_ptr<const ValuesInputs> keep_values_inputs(const KubeObject& object, const ReleaseSpec& spec,
                                                       const RenderIndex& index, const ChartFileReader& chart_file) {
  auto inputs = std::make_shared<ValuesInputs>(ValuesInputs{object, spec, {}, {}});
  for (const auto& ref : spec.values_from) {
    if (ref.kind == "ChartFile") {
      inputs->chart_files.emplace(ref.key, chart_file(ref.key));
      continue;
    }
    const std::string key = render_index_key(ref.kind, ref.namespace_name, ref.name);
    if (auto it = index.find(key); it != index.end()) inputs->render_objects.emplace(key, *it->second);
  }
  return inputs;
}

bool merge_kept_values(const ValuesInputs& inputs, const ClusterObjectReader& from_cluster, Release& release,
                       std::vector<Diagnostic>& out) {
  RenderIndex index;
  for (const auto& [key, object] : inputs.render_objects) index[key] = &object;
  auto chart_file = [&](const std::string& path) -> Result<std::string> {
    auto it = inputs.chart_files.find(path);
    return it != inputs.chart_files.end() ? it->second : fail(ErrorCode::not_found, path + " is not in the chart");
  };
  release.secret_texts.clear();
  if (!merge_values(inputs.helm_release, inputs.spec, index, chart_file, from_cluster, release, out)) return false;
  release.digest = release_digest(release);
  return true;
}

std::string release_digest(const Release& release) { return sha256_hex(release.chart.digest + "\n" + to_json(release.values)); }

}  // namespace driftless::helmrelease
