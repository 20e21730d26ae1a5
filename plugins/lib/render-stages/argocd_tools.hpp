// What an Argo CD Application asks of the tool that renders one of its
// sources (its helm, kustomize and directory blocks), as the keys of
// driftless's helm, overlay and yaml stages.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driftless/artifact.hpp"
#include "driftless/value.hpp"
#include "object_fields.hpp"

namespace driftless::renderers {

/// Where the Argo CD fields driftless reads are listed; warnings point there.
constexpr const char* kArgocdDocs = "docs/migrating-from-argocd.md";

/// Whether `repo_url` (the field `field`) names the repository the pipeline
/// reads. A path or bucket source cannot be compared: true, with a warning.
bool own_repository(ObjectFields& fields, const Artifact& artifact, const std::string& repo_url, const std::string& field);

/// Warns when `wanted` (Argo CD's targetRevision or a generator's revision,
/// the field `field`) is not the revision the pipeline renders.
void check_revision(ObjectFields& fields, const Artifact& artifact, std::string wanted, const std::string& field);

/// Where the `$<ref>/...` values files of a multi-source Application come
/// from, as one rendered source sees the ref source named <ref>.
enum class RefReach {
  same_files,    ///< the rendered source's own repository: a file of its root
  parent_files,  ///< the pipeline's repository, the rendered source fetched later: read when the Application is
  unreachable,   ///< a third repository, which driftless does not fetch for values files
};

struct RefSource {
  std::string field;  ///< the ref source, for messages: "spec.sources[1]"
  RefReach reach = RefReach::unreachable;
};

/// One source of an Application (spec.source, or an entry of spec.sources)
/// as the stage of its tool reads it.
struct ToolSource {
  const Value* block = nullptr;  ///< the source's mapping
  std::string field;             ///< its name in messages: "spec.source", "spec.sources[0]"
  /// The artifact that holds its files, or nullptr when the declared pipeline
  /// fetches them later (another repository, a chart).
  const Artifact* files = nullptr;
  std::string path;  ///< its folder (a chart's: the chart's name)
  /// The Application's ref sources by name; the pipeline's own artifact, which
  /// parent_files refs are read from.
  std::map<std::string, RefSource> refs;
  const Artifact* parent = nullptr;
};

/// The helm stage's keys for the source's `helm` block (may be absent) of an
/// Application named `release`. Values files are made relative to the
/// repository root, as the helm stage reads them. A `$ref` file of the
/// pipeline's repository for a source fetched later is read now and merged
/// under the inline values; its folder is added to `read_folders`, so the
/// parent renders again when it changes.
Object helm_stage_keys(ObjectFields& fields, const ToolSource& source, const std::string& release,
                       const std::string& destination_namespace, std::vector<std::string>& read_folders);

/// The overlay stage's keys for `kustomize` (the block named `field`); empty when it asks for nothing.
Object overlay_stage_keys(ObjectFields& fields, const Value* kustomize, const std::string& field);

/// The yaml stage's keys for `directory` (the block named `field`, may be null).
Object yaml_stage_keys(ObjectFields& fields, const Value* directory, const std::string& field);

}  // namespace driftless::renderers
