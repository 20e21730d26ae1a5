// Remembers what each pipeline's renderer chain produced, so a commit that
// does not touch a pipeline's folders does not render it again. In memory: the
// engine lives as long as the daemon.
//
// A result is reused when three things are unchanged:
//  - the chain: every stage's type and config (after {{folder}} expansion),
//    the version of the tool each stage runs, and the cluster facts (version,
//    API list) that renderers may pass to their tools;
//  - the content id of the rendered path (Artifact::folder_ids, covering its
//    whole subtree);
//  - the content id of every folder a stage reported in
//    RenderResult::read_folders (a kustomize base in ../base, a chart and
//    values files elsewhere in the source);
//  - the time: a result with RenderResult::valid_for set is dropped once
//    that much time has passed since it was rendered.
// Only results without errors are kept (a failed render is tried again), and
// only cacheable ones (RenderResult::cacheable: not those that fetched
// something from outside the artifact, such as a remote kustomize base).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"

namespace driftless::core {

class RenderCache {
 public:
  /// One stage of a chain as the key sees it.
  struct Stage {
    std::string type;
    const Value* config = nullptr;   ///< expanded config block
    const RendererFactory* factory = nullptr;
  };

  /// The content-independent part of the key of a chain.
  std::string chain_key(const std::vector<Stage>& stages, const ClusterInfo* cluster);

  /// The last result of `pipeline` when its chain key is `chain_key` and no
  /// folder it read changed in `artifact`; nullptr otherwise. Shared, not
  /// copied: a daemon holds one copy of each pipeline's objects.
  std::shared_ptr<const RenderResult> find(const std::string& pipeline, const std::string& chain_key,
                                           const Artifact& artifact) const;

  /// Keeps `result` (all stages together) of `pipeline`, which rendered
  /// `path` and read `result.read_folders`. Not kept when it has errors, is
  /// not cacheable, or a folder has no content id (a source without folder ids).
  void store(const std::string& pipeline, const std::string& chain_key, const Artifact& artifact, const std::string& path,
             std::shared_ptr<const RenderResult> result);

  /// True when a result of `pipeline` is kept, still valid, and none of the
  /// folders it read differs in `artifact`: a new revision that leaves it
  /// exactly as rendered before.
  bool untouched(const std::string& pipeline, const Artifact& artifact) const;

  /// Drops what is kept for `pipeline` (a pipeline that is gone).
  void forget(const std::string& pipeline);

 private:
  struct Entry {
    std::string chain_key;
    std::map<std::string, std::string> folder_ids;  ///< every folder read, with its id at render time
    std::chrono::steady_clock::time_point expires;   ///< time_point::max() when the result has no time limit
    std::shared_ptr<const RenderResult> result;
  };
  struct ToolVersion {
    std::string text;
    std::chrono::steady_clock::time_point asked;
  };

  std::string tool_version(const Stage& stage);
  /// The entry of `pipeline` when it has not expired and no folder it read
  /// changed in `artifact`; nullptr otherwise. Call with mutex_ held.
  const Entry* current_entry(const std::string& pipeline, const Artifact& artifact) const;

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;         ///< by pipeline name
  std::map<std::string, ToolVersion> versions_;  ///< by renderer type; asked again after a minute
};

}  // namespace driftless::core
