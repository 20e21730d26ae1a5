#include "pipeline/expansion.hpp"

#include "config/plugin_blocks.hpp"
#include "log/logging.hpp"
#include "pipeline/guarded.hpp"

namespace driftless::core {

std::map<std::string, std::string> labels_of(const ExpandedPipeline& pipeline) {
  if (pipeline.declared) return pipeline.spec->labels;  // its parent's, filled in already
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : pipeline.spec->labels) out[key] = expand_templates(value, pipeline.folder, pipeline.path);
  return out;
}

Value sink_config_of(const ExpandedPipeline& pipeline) {
  return expand_templates(pipeline.spec->sink.config, pipeline.folder, pipeline.path);
}

std::shared_ptr<const Expansion> Expansions::expand(const PipelineSpec& spec, const std::shared_ptr<const Artifact>& artifact) {
  {
    std::lock_guard lock(mutex_);
    auto it = expansions_.find(&spec);
    if (it != expansions_.end() && it->second->artifact == artifact) return it->second;
  }
  // Once per revision: a thousand folder pipelines must not list the folders
  // of the artifact once per run each.
  auto out = std::make_shared<Expansion>();
  out->artifact = artifact;
  if (spec.for_each_folder.empty()) {
    std::error_code ec;
    if (!spec.path.empty() && !std::filesystem::is_directory(artifact->root / spec.path, ec))
      out->problems.push_back(error_at(spec.location, "pipeline '" + spec.name + "': path '" + spec.path +
                                                          "' is not a folder of source '" + spec.source + "' at " +
                                                          artifact->revision));
    out->pipelines.push_back({&spec, spec.name, "", spec.path, 0, nullptr});
  } else {
    for (const auto& path : match_folders(artifact->root, spec.for_each_folder)) {
      if (has_control_characters(path)) {
        // Its name would split log lines and the state files' lines.
        out->problems.push_back({Severity::warning,
                                 "the folder '" + escape_control_characters(path) + "' matches forEachFolder '" +
                                     spec.for_each_folder + "' but its name holds a control character, so it is not made "
                                     "a pipeline; rename it",
                                 {}, 0, {}});
        continue;
      }
      std::string folder = std::filesystem::path(path).filename().string();
      out->pipelines.push_back({&spec, expand_templates(spec.name, folder, path), folder, path, 0, nullptr});
    }
  }
  std::lock_guard lock(mutex_);
  expansions_[&spec] = out;
  return out;
}

std::vector<ExpandedPipeline> Expansions::current(
    const std::function<std::shared_ptr<const Artifact>(const std::string&)>& last_good) {
  std::vector<ExpandedPipeline> out;
  for (const auto& spec : config_.pipelines) {
    if (spec.for_each_folder.empty()) {
      add_with_children({&spec, spec.name, "", spec.path, 0, nullptr}, out);
    } else if (auto artifact = last_good(spec.source)) {
      for (const auto& pipeline : expand(spec, artifact)->pipelines) add_with_children(pipeline, out);
    }
  }
  return out;
}

void Expansions::add_with_children(const ExpandedPipeline& pipeline, std::vector<ExpandedPipeline>& out) {
  out.push_back(pipeline);
  for (const auto& child : children_of(pipeline.name)) add_with_children(child, out);
}

std::vector<ExpandedPipeline> Expansions::children_of(const std::string& parent) {
  std::vector<ExpandedPipeline> out;
  std::lock_guard lock(mutex_);
  auto it = children_.find(parent);
  if (it == children_.end()) return out;
  for (const auto& child : it->second)
    out.push_back({child.spec.get(), child.spec->name, "", child.spec->path, child.depth, child.spec});
  return out;
}

std::vector<std::string> Expansions::declare(const ExpandedPipeline& parent, std::vector<PipelineSpec> children) {
  std::vector<Declared> next;
  for (auto& spec : children) next.push_back({std::make_shared<const PipelineSpec>(std::move(spec)), parent.depth + 1});
  std::vector<std::string> gone;
  std::lock_guard lock(mutex_);
  if (next.empty() && !children_.count(parent.name)) return gone;  // the common case: nothing declared, before or now
  auto& current = children_[parent.name];
  for (const auto& old : current) {
    bool kept = false;
    for (const auto& child : next) kept = kept || child.spec->name == old.spec->name;
    if (kept) continue;
    gone.push_back(old.spec->name);
    forget_locked(old.spec->name, gone);
  }
  current = std::move(next);
  if (current.empty()) children_.erase(parent.name);
  return gone;
}

std::vector<std::string> Expansions::forget_children(const std::string& parent) {
  std::vector<std::string> gone;
  std::lock_guard lock(mutex_);
  forget_locked(parent, gone);
  return gone;
}

void Expansions::forget_locked(const std::string& parent, std::vector<std::string>& forgotten) {
  auto it = children_.find(parent);
  if (it == children_.end()) return;
  const std::vector<Declared> children = std::move(it->second);
  children_.erase(it);
  for (const auto& child : children) {
    forgotten.push_back(child.spec->name);
    forget_locked(child.spec->name, forgotten);
  }
}

std::optional<ExpandedPipeline> Expansions::folder_pipeline(const std::string& pipeline, const std::string& source,
                                                            const std::string& folder_path) const {
  const std::string folder = std::filesystem::path(folder_path).filename().string();
  for (const auto& spec : config_.pipelines)
    if (spec.source == source && !spec.for_each_folder.empty() && folder_matches(spec.for_each_folder, folder_path) &&
        expand_templates(spec.name, folder, folder_path) == pipeline)
      return ExpandedPipeline{&spec, pipeline, folder, folder_path, 0, nullptr};
  return std::nullopt;
}

}  // namespace driftless::core
