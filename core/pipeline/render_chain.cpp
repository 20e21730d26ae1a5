#include "pipeline/render_chain.hpp"

#include "config/plugin_blocks.hpp"
#include "pipeline/guarded.hpp"
#include "pipeline/render_checks.hpp"

namespace driftless::core {
namespace {

// The sinks' allowEmpty says an empty set is what the user wants.
bool sink_allows_empty(const PipelineSpec& spec) {
  const Value* allow = spec.sink.config.find("allowEmpty");
  return allow && allow->is_bool() && allow->as_bool();
}

}  // namespace

RenderChain::RenderChain(const PluginRegistry& registry, const ContextServices& services, std::chrono::seconds timeout)
    : registry_(registry), services_(services), timeout_(timeout) {}

Rendered RenderChain::render(const ExpandedPipeline& pipeline, const Artifact& artifact, const ClusterInfo* cluster) {
  const auto& blocks = pipeline.spec->renderers;
  std::vector<Value> configs;
  std::vector<RenderCache::Stage> stages;
  for (const auto& block : blocks) configs.push_back(expand_templates(block.config, pipeline.folder, pipeline.path));
  for (std::size_t i = 0; i < blocks.size(); ++i)
    stages.push_back({blocks[i].type, &configs[i], registry_.renderer(blocks[i].type)});
  const std::string chain = cache_.chain_key(stages, cluster);
  Rendered out;
  out.result = cache_.find(pipeline.name, chain, artifact);
  out.reused = out.result != nullptr;
  if (out.reused) return out;
  auto fresh = std::make_shared<RenderResult>(run_stages(pipeline, artifact, stages, cluster));
  if (!has_errors(fresh->diagnostics) && fresh->objects.empty() && fresh->after_apply.empty() && fresh->pipelines.empty())
    check_not_empty(artifact, pipeline.path, sink_allows_empty(*pipeline.spec), fresh->diagnostics);
  if (!has_errors(fresh->diagnostics)) check_objects(fresh->objects, fresh->diagnostics);
  if (!has_errors(fresh->diagnostics)) {
    auto declared = declared_children(std::move(fresh->pipelines), *pipeline.spec, pipeline.name, pipeline.depth,
                                      registry_, fresh->diagnostics);
    // A declared pipeline is labelled as the pipeline that declares it.
    for (auto& child : declared) child.labels = labels_of(pipeline);
    if (!has_errors(fresh->diagnostics)) out.declared = std::move(declared);
  }
  out.result = fresh;
  cache_.store(pipeline.name, chain, artifact, pipeline.path, fresh);
  return out;
}

RenderResult RenderChain::run_stages(const ExpandedPipeline& pipeline, const Artifact& artifact,
                                     const std::vector<RenderCache::Stage>& stages, const ClusterInfo* cluster) {
  const auto& blocks = pipeline.spec->renderers;
  RenderResult chain;
  for (std::size_t i = 0; i < stages.size() && !has_errors(chain.diagnostics); ++i) {
    // Findings name their stage: the same file may pass through several renderers.
    const std::string stage = "renderer '" + blocks[i].type + "' (stage " + std::to_string(i + 1) + " of " +
                              std::to_string(stages.size()) + ")";
    auto created = stages[i].factory->create(*stages[i].config);
    if (!created.ok()) {
      chain.diagnostics.push_back(error_at(blocks[i].location, stage + ": " + created.error().message));
      break;
    }
    CoreContext context(services_, pipeline.name, blocks[i].type, timeout_);
    context.set_cluster_info(cluster);
    RenderResult result;
    RenderRequest request{artifact, pipeline.path, std::move(chain.objects)};
    guarded([&] { result = (*created)->render(context, std::move(request)); }, stage, chain.diagnostics);
    for (auto& d : result.diagnostics) {
      d.message = stage + ": " + d.message;
      chain.diagnostics.push_back(std::move(d));
    }
    for (auto& folder : result.read_folders) chain.read_folders.push_back(std::move(folder));
    chain.cacheable = chain.cacheable && result.cacheable;
    for (auto& work : result.after_apply) chain.after_apply.push_back(std::move(work));
    for (auto& declared : result.pipelines) chain.pipelines.push_back(std::move(declared));
    if (result.valid_for.count() > 0 && (chain.valid_for.count() == 0 || result.valid_for < chain.valid_for))
      chain.valid_for = result.valid_for;
    chain.objects = std::move(result.objects);
  }
  return chain;
}

}  // namespace driftless::core
