// What a source hands to the renderers: a read-only snapshot of a tree at one
// exact revision, with metadata and per-folder content ids.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace driftless {

/// A read-only snapshot of a source at one revision.
struct Artifact {
  /// Exact revision, e.g. "main@sha1:<40 hex>" for Git, "sha256:<hex>" for buckets.
  std::string revision;
  /// Directory holding the snapshot; renderers read below it and never write.
  std::filesystem::path root;
  /// Free-form facts about the revision: "author", "committer", "date", "message",
  /// "signature" ... Values are safe to log.
  std::map<std::string, std::string> metadata;
  /// Content id of every folder, keyed by path relative to root ("" is the root,
  /// "clusters/prod" a folder). Equal ids mean equal content: the core skips
  /// rendering a folder whose id did not change.
  std::map<std::string, std::string> folder_ids;

  /// Content id of `folder` (relative, '/'-separated), or "" when unknown.
  std::string folder_id(const std::string& folder) const {
    auto it = folder_ids.find(folder);
    return it == folder_ids.end() ? std::string() : it->second;
  }
};

}  // namespace driftless
