#include "pipeline/child_pipelines.hpp"

#include <algorithm>
#include <set>

#include "config/plugin_blocks.hpp"
#include "log/logging.hpp"

namespace driftless::core {
namespace {

const PipelineReader* reader_of(const KubeObject& object, const std::vector<const PipelineReader*>& readers) {
  for (const auto* reader : readers)
    if (reader->declares(object)) return reader;
  return nullptr;
}

// Checks a declared block against its plugin's keys, filling in defaults.
template <class Factory>
Result<void> check_block(PluginBlock& block, const Factory* factory, const std::string& what) {
  if (!factory) return fail(ErrorCode::invalid_input, what + " '" + block.type + "' is not a loaded plugin");
  auto checked = check_plugin_value(factory->config_keys(), block.config.is_null() ? Value(Object{}) : block.config,
                                    what + " '" + block.type + "'");
  if (!checked.ok()) return checked.error();
  block.config = std::move(*checked);
  return {};
}

// Makes a reader's spec a pipeline of `parent`: named under it, in its source, with checked blocks.
Result<PipelineSpec> complete(PipelineSpec child, const KubeObject& object, const PipelineSpec& parent,
                              const std::string& parent_name, const PluginRegistry& registry) {
  if (child.name.empty() || child.name.find('/') != std::string::npos || has_control_characters(child.name))
    return fail(ErrorCode::invalid_input, "the declared pipeline name '" + escape_control_characters(child.name) +
                                              "' must be one non-empty segment without '/' or control characters");
  auto path = normalize_source_path(child.path);
  if (!path) return fail(ErrorCode::invalid_input, "the path '" + child.path + "' leaves the source");
  child.name = parent_name + "/" + child.name;
  child.path = *path;
  child.source = parent.source;
  child.for_each_folder.clear();
  child.prune_on_folder_removal = false;
  if (!child.interval) child.interval = parent.interval;
  child.location = {object.origin.file, object.origin.line, 0};
  if (child.renderers.empty()) child.renderers.push_back(PluginBlock{"yaml", Value(Object{}), nullptr, child.location});
  for (auto& block : child.renderers) {
    block.location = child.location;
    if (auto checked = check_block(block, registry.renderer(block.type), "renderer"); !checked.ok()) return checked.error();
  }
  child.sink.location = child.location;
  if (auto checked = check_block(child.sink, registry.sink(child.sink.type), "sink"); !checked.ok()) return checked.error();
  return child;
}

}  // namespace

std::vector<PipelineSpec> take_declared_pipelines(std::vector<KubeObject>& objects,
                                                  const std::vector<const PipelineReader*>& readers,
                                                  const PipelineSpec& parent, const std::string& parent_name,
                                                  std::size_t depth, const PluginRegistry& registry,
                                                  std::vector<Diagnostic>& out) {
  std::vector<PipelineSpec> children;
  if (readers.empty()) return children;
  std::set<std::string> names;
  auto declared = std::stable_partition(objects.begin(), objects.end(),
                                        [&](const KubeObject& o) { return reader_of(o, readers) == nullptr; });
  for (auto it = declared; it != objects.end(); ++it) {
    const KubeObject& object = *it;
    auto problem = [&](const std::string& message) {
      out.push_back({Severity::error, message + " (" + object.id() + ")", object.origin.file, object.origin.line, {}});
    };
    if (depth + 1 >= kMaxPipelineDepth) {
      problem("pipeline '" + parent_name + "' is nested " + std::to_string(depth) + " deep and may declare no more pipelines");
      continue;
    }
    if (children.size() == kMaxDeclaredPipelines) {
      problem("pipeline '" + parent_name + "' declares more than " + std::to_string(kMaxDeclaredPipelines) + " pipelines");
      break;
    }
    Result<PipelineSpec> read = reader_of(object, readers)->read(object);
    if (read.ok()) read = complete(std::move(*read), object, parent, parent_name, registry);
    if (!read.ok()) {
      problem("the pipeline declared here cannot be run: " + read.error().message);
      continue;
    }
    if (!names.insert(read->name).second) {
      problem("pipeline '" + read->name + "' is declared twice");
      continue;
    }
    children.push_back(std::move(*read));
  }
  objects.erase(declared, objects.end());
  return children;
}

}  // namespace driftless::core
