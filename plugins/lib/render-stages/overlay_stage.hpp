// The "overlay" renderer's work: a Flux Kustomization's transformations
// (targetNamespace, namePrefix, nameSuffix, patches, images, components,
// commonMetadata) applied to the objects of the earlier stages. The objects
// go into a private folder as a resources file under a generated
// kustomization.yaml carrying the keys, the real kustomize builds it, and the
// output keeps each object's provenance; commonMetadata is then set on every
// object, after the build, as Flux sets it (selectors untouched).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "tool_stage.hpp"

namespace driftless::renderers {

struct CommonMetadata {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

struct OverlaySettings {
  std::string kustomize_path;  ///< "" = from PATH
  std::string target_namespace;
  std::string name_prefix;
  std::string name_suffix;
  CommonMetadata common_metadata;
  Value patches = Array{};  ///< [{patch, target}], checked when the config is read
  Value images = Array{};   ///< [{name, newName, newTag, digest}], checked likewise
  std::vector<std::string> components;  ///< folders relative to the rendered path
  ToolLimits limits;
};

/// The overlay renderer's config keys, each with the field it fills.
const SettingsSchema<OverlaySettings>& overlay_schema();

/// Applies the overlay to out.objects (the objects of the earlier stages) in
/// place; an empty overlay leaves them untouched without running kustomize,
/// and a targetNamespace alone is set natively where that is all kustomize
/// would do (target_namespace.hpp).
/// On an error (a bad patch, a component outside the artifact) the objects
/// are left as they were and the error names the key and its index.
void apply_overlay(Context& context, const Artifact& artifact, const std::string& path, const OverlaySettings& settings,
                   RenderResult& out);

}  // namespace driftless::renderers
