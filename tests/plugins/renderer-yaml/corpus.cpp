#include "corpus.hpp"

#include <algorithm>

#include "driftless/toolkit/manifests.hpp"
#include "support.hpp"

namespace driftless::test {
namespace {

// `kubectl annotate --local` leaves an empty annotations map behind.
Value without_empty_annotations(Value v) {
  if (Value* metadata = v.find("metadata")) {
    const Value* annotations = metadata->find("annotations");
    if (annotations && annotations->is_object() && annotations->as_object().empty()) metadata->as_object().erase("annotations");
  }
  return v;
}

}  // namespace

std::vector<std::filesystem::path> corpus_documents() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() / "tests/plugins/renderer-yaml/corpus"))
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

KubectlReading stored_reading(const std::filesystem::path& yaml) {
  auto path = yaml;
  auto parsed = parse_json(read_file(path.replace_extension(".json")));
  KubectlReading reading;
  if (!parsed.ok()) {
    reading.refused = true;
    reading.error = "unreadable expectation " + path.string() + ": " + parsed.error().message;
    return reading;
  }
  if (const Value* error = parsed->find("error")) {
    reading.refused = true;
    reading.error = error->as_string();
    return reading;
  }
  for (const auto& object : parsed->find("objects")->as_array()) reading.objects.push_back(object);
  return reading;
}

std::vector<Value> json_stream(const std::string& text) {
  std::vector<Value> out;
  std::size_t start = std::string::npos;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' && depth++ == 0) start = i;
    else if (c == '}' && --depth == 0) {
      auto value = parse_json(std::string_view(text).substr(start, i + 1 - start));
      if (value.ok()) out.push_back(without_empty_annotations(std::move(*value)));
    }
  }
  return out;
}

std::string compare_with_ours(const std::filesystem::path& yaml, const KubectlReading& expected) {
  RenderResult ours = parse_manifests(read_file(yaml), yaml.filename().string());
  std::string problems;
  for (const auto& d : ours.diagnostics)
    if (d.severity == Severity::error) problems += format(d) + "\n";
  if (expected.refused) return problems.empty() ? "kubectl refuses it (" + expected.error + ") but we accept it" : "";
  if (!problems.empty()) return "we refuse what kubectl accepts:\n" + problems;
  if (ours.objects.size() != expected.objects.size())
    return "kubectl reads " + std::to_string(expected.objects.size()) + " objects, we read " + std::to_string(ours.objects.size());
  std::string differences;
  for (std::size_t i = 0; i < ours.objects.size(); ++i) {
    Value mine = without_empty_annotations(ours.objects[i].body);
    Value theirs = without_empty_annotations(expected.objects[i]);
    if (!(mine == theirs))
      differences += "object " + std::to_string(i) + ":\n  kubectl: " + to_json(theirs) + "\n  ours:    " + to_json(mine) + "\n";
  }
  return differences;
}

}  // namespace driftless::test
