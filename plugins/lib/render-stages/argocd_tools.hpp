// What an Argo CD Application asks of the tool that renders its folder
// (spec.source.helm, .kustomize, .directory), as the keys of driftless's
// helm, overlay and yaml stages.
#pragma once

#include <string>

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

/// The helm stage's keys for `helm` (spec.source.helm, may be null) of an
/// Application named `release` whose folder is `path`; values files are made
/// relative to the repository root, as the helm stage reads them. `files`
/// is the artifact that holds them, or nullptr when the Application's source
/// is fetched later (another repository, a chart).
Object helm_stage_keys(ObjectFields& fields, const Artifact* files, const Value* helm, const std::string& path,
                       const std::string& release, const std::string& destination_namespace);

/// The overlay stage's keys for spec.source.kustomize; empty when it asks for nothing.
Object overlay_stage_keys(ObjectFields& fields, const Value* kustomize);

/// The yaml stage's keys for spec.source.directory (may be null).
Object yaml_stage_keys(ObjectFields& fields, const Value* directory);

}  // namespace driftless::renderers
