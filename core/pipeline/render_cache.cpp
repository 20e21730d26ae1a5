#include "pipeline/render_cache.hpp"

#include "driftless/toolkit/hash.hpp"

namespace driftless::core {
namespace {

constexpr auto kToolVersionLifetime = std::chrono::minutes(1);

}  // namespace

std::string RenderCache::tool_version(const Stage& stage) {
  const auto now = std::chrono::steady_clock::now();
  auto it = versions_.find(stage.type);
  if (it != versions_.end() && now - it->second.asked < kToolVersionLifetime) return it->second.text;
  // Running a tool for its version costs a process: once a minute is enough
  // to notice an upgrade.
  Result<std::string> version = stage.factory ? stage.factory->tool_version() : Result<std::string>(std::string());
  std::string text = version.ok() ? *version : "unknown: " + version.error().message;
  versions_[stage.type] = ToolVersion{text, now};
  return text;
}

std::string RenderCache::chain_key(const std::vector<Stage>& stages, const ClusterInfo* cluster) {
  std::lock_guard lock(mutex_);
  Sha256 h;
  for (const auto& stage : stages) {
    h.update("stage\n" + stage.type + "\n");
    h.update(stage.config ? to_json(*stage.config) : "null");
    h.update("\n" + tool_version(stage) + "\n");
  }
  if (cluster) {
    h.update("cluster\n" + cluster->version + "\n");
    for (const auto& api : cluster->api_versions) h.update(api + "\n");
  }
  return h.hex();
}

const RenderCache::Entry* RenderCache::current_entry(const std::string& pipeline, const Artifact& artifact) const {
  auto it = entries_.find(pipeline);
  if (it == entries_.end() || std::chrono::steady_clock::now() >= it->second.expires) return nullptr;
  for (const auto& [folder, id] : it->second.folder_ids)
    if (artifact.folder_id(folder) != id) return nullptr;
  return &it->second;
}

std::shared_ptr<const RenderResult> RenderCache::find(const std::string& pipeline, const std::string& chain_key,
                                                      const Artifact& artifact) const {
  std::lock_guard lock(mutex_);
  const Entry* entry = current_entry(pipeline, artifact);
  return entry && entry->chain_key == chain_key ? entry->result : nullptr;
}

void RenderCache::store(const std::string& pipeline, const std::string& chain_key, const Artifact& artifact,
                        const std::string& path, std::shared_ptr<const RenderResult> result) {
  std::lock_guard lock(mutex_);
  entries_.erase(pipeline);
  if (has_errors(result->diagnostics) || !result->cacheable) return;
  const auto expires = result->valid_for.count() > 0 ? std::chrono::steady_clock::now() + result->valid_for
                                                      : std::chrono::steady_clock::time_point::max();
  Entry entry{chain_key, {}, expires, nullptr};
  entry.folder_ids[path] = artifact.folder_id(path);
  for (const auto& folder : result->read_folders) entry.folder_ids[folder] = artifact.folder_id(folder);
  for (const auto& [folder, id] : entry.folder_ids)
    if (id.empty()) return;
  entry.result = std::move(result);
  entries_.emplace(pipeline, std::move(entry));
}

bool RenderCache::untouched(const std::string& pipeline, const Artifact& artifact) const {
  std::lock_guard lock(mutex_);
  return current_entry(pipeline, artifact) != nullptr;
}

void RenderCache::forget(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  entries_.erase(pipeline);
}

}  // namespace driftless::core
