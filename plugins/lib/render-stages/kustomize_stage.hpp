// The "kustomize" renderer's work: `kustomize build` of a folder, after a scan
// of every kustomization it reaches proves that nothing lies outside the
// artifact and that no remote base is used unless allowed. Shared by the
// kustomize and auto plugins.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "tool_stage.hpp"

namespace driftless::renderers {

struct KustomizeSettings {
  std::string kustomize_path;  ///< "" = from PATH
  bool build_each = false;     ///< every kustomization folder below the path instead of the path itself
  bool allow_remote_bases = false;
  ToolLimits limits;
};

/// The kustomize renderer's config keys, each with the setting it fills.
const SettingsSchema<KustomizeSettings>& kustomize_schema();
/// "kustomize v5.8.2", or how to install it.
Result<std::string> kustomize_version(const std::string& configured_path);


/// The kustomization file of `folder` (relative to the artifact root), or ""
/// when it has none.
std::string kustomization_file(const Artifact& artifact, const std::string& folder);

/// Builds the kustomization in `folder` and appends its objects, each with the
/// kustomization file as provenance.
void build_kustomization(Context& context, const Artifact& artifact, const std::string& folder,
                         const KustomizeSettings& settings, RenderResult& out);

/// A private copy below `to` of everything that building the kustomizations
/// in `folders` reads, after the checks build_kustomization makes (inside
/// the artifact, remote bases only when allowed, file sizes); the folders it
/// reads are added to out.read_folders. nullopt after adding the problems to `out`.
std::optional<Artifact> copy_kustomization_inputs(const Artifact& artifact, const std::vector<std::string>& folders,
                                                  const KustomizeSettings& settings, const std::filesystem::path& to,
                                                  RenderResult& out);

/// Builds those of `folders` (kustomization folders) that no other one of them
/// uses as a base: an overlay and its base are built once, through the overlay.
void build_kustomizations(Context& context, const Artifact& artifact, const std::vector<std::string>& folders,
                          const KustomizeSettings& settings, RenderResult& out);

/// The kustomize renderer: `path` itself, or each kustomization folder below
/// it that no other one of them uses as a base.
void render_kustomize(Context& context, const Artifact& artifact, const std::string& path, const KustomizeSettings& settings,
                      RenderResult& out);

}  // namespace driftless::renderers
