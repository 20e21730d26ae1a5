// The "yaml" renderer's work: every manifest file below a folder, chosen by
// include/exclude globs and .driftlessignore files, read with kubectl's
// semantics (parse_manifests). Shared by the yaml and auto plugins.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "driftless/toolkit/manifests.hpp"
#include "driftless/toolkit/settings.hpp"
#include "driftless/plugin.hpp"
#include "path_patterns.hpp"

namespace driftless::renderers {

/// Include or exclude globs.
struct Globs {
  std::vector<PathPattern> patterns;
  std::string text;  ///< as written, for messages
};

struct YamlSettings {
  Globs include;
  Globs exclude;
  MissingKind missing_kind = MissingKind::error;
  std::uintmax_t max_file_size = 0;
  std::uintmax_t max_total_size = 0;  ///< of all files one render reads
};

/// The yaml renderer's config keys, each with the setting it fills.
const SettingsSchema<YamlSettings>& yaml_schema();

/// Appends the objects of every chosen file below `folder` (relative to the
/// artifact root) to `out`. `owned_elsewhere`, when set, names folders another
/// renderer takes care of: they are not entered (auto). Every file the include
/// globs leave out is named in a warning (documentation and images are counted
/// in one line instead); hooks are left out with a warning (hooks.hpp).
void render_yaml_files(Context& context, const Artifact& artifact, const std::string& folder, const YamlSettings& settings,
                       RenderResult& out, const std::function<bool(const std::string& folder)>& owned_elsewhere = {});

}  // namespace driftless::renderers
