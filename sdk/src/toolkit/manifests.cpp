#include "driftless/toolkit/manifests.hpp"

namespace driftless {
namespace {

// Documents that are not objects are named one by one up to this many per
// stream; the rest are counted in one line, so a file of a million of them
// costs one line, not a million.
constexpr std::size_t kNamedPerStream = 10;

struct NotObjects {
  std::size_t count = 0;
  bool error = false;  ///< one of those counted past the limit was an error
};

void add_object(Value body, const Provenance& origin, const ManifestOptions& options, RenderResult& out,
                NotObjects& rejected) {
  KubeObject object{std::move(body), origin};
  if (!object.body.is_object()) {
    rejected.error = rejected.error || rejected.count >= kNamedPerStream;
    if (++rejected.count > kNamedPerStream) return;
    out.diagnostics.push_back({Severity::error,
                               "the document is a " + std::string(to_string(object.body.type())) + ", not a Kubernetes object",
                               origin.file, origin.line, {}});
    return;
  }
  if (object.api_version().empty() || object.kind().empty()) {
    if (options.missing_kind == MissingKind::ignore) return;
    rejected.error = rejected.error || (rejected.count >= kNamedPerStream && options.missing_kind == MissingKind::error);
    if (++rejected.count > kNamedPerStream) return;
    out.diagnostics.push_back({options.missing_kind == MissingKind::error ? Severity::error : Severity::warning,
                               "the document has no apiVersion or kind (set missingKind: ignore to skip such documents)",
                               origin.file, origin.line, object.name()});
    return;
  }
  out.objects.push_back(std::move(object));
}

}  // namespace

std::string place_of(const Provenance& origin) {
  return origin.line > 0 ? origin.file + ":" + std::to_string(origin.line) : origin.file;
}

RenderResult parse_manifests(std::string_view text, const std::string& file, const ManifestOptions& options) {
  RenderResult out;
  NotObjects rejected;
  YamlParseResult parsed = parse_yaml(text, file, options.limits);
  out.diagnostics = std::move(parsed.diagnostics);
  for (auto& document : parsed.documents) {
    const Provenance origin{file, document.index, document.line};
    Value* items = document.value.find("items");
    if (!items) {
      add_object(std::move(document.value), origin, options, out, rejected);
      continue;
    }
    // kubectl treats any document with an "items" field as a list, and
    // fills in the kind of items that have neither (a string) kind nor apiVersion.
    const std::string list_version = document.value.string_or("apiVersion");
    std::string item_kind = document.value.string_or("kind");
    if (item_kind.empty()) {
      out.diagnostics.push_back({Severity::error, "a list needs a kind (kubectl refuses it without one)", file, document.line, {}});
      continue;
    }
    if (items->is_null()) continue;
    if (!items->is_array()) {
      out.diagnostics.push_back({Severity::error, "'items' of a list must be a list of objects", file, document.line, {}});
      continue;
    }
    if (item_kind.size() >= 4 && item_kind.compare(item_kind.size() - 4, 4, "List") == 0) item_kind.resize(item_kind.size() - 4);
    for (auto& item : items->as_array()) {
      // kubectl cannot flatten a list inside a list: it takes any item with a
      // list of "items" for one, and fails on it.
      const Value* inner = item.find("items");
      if (inner && inner->is_array()) {
        out.diagnostics.push_back({Severity::error,
                                   "an item of kind '" + item.string_or("kind") +
                                       "' has items of its own: kubectl cannot read a list inside a list; "
                                       "put its items into the outer list",
                                   file, document.line, {}});
        continue;
      }
      if (item.is_null()) item = Object();  // kubectl decodes a null item as an empty object
      if (item.is_object() && item.string_or("apiVersion").empty() && item.string_or("kind").empty()) {
        item.as_object().set("kind", item_kind);
        item.as_object().set("apiVersion", list_version);
      }
      add_object(std::move(item), origin, options, out, rejected);
    }
  }
  if (rejected.count > kNamedPerStream)
    out.diagnostics.push_back({rejected.error ? Severity::error : Severity::warning,
                               "and " + std::to_string(rejected.count - kNamedPerStream) +
                                   " more documents in this file that are not Kubernetes objects (no mapping, or no "
                                   "apiVersion or kind)",
                               file, 0, {}});
  return out;
}

}  // namespace driftless
