// renderer "yaml": every manifest file below the pipeline's folder (include/
// exclude globs, .driftlessignore), in byte order of their paths, read as
// kubectl reads them, appended to the objects of the previous stage.
#include <driftless/export.hpp>

#include "stage_plugin.hpp"
#include "yaml_stage.hpp"

namespace {

using namespace driftless;
using renderers::YamlSettings;

void render(Context& context, const RenderRequest& request, const YamlSettings& settings, RenderResult& out) {
  renderers::render_yaml_files(context, request.artifact, request.path, settings, out);
}

constexpr renderers::Stage<YamlSettings> kYaml{renderers::yaml_schema, render, renderers::no_tool};
using YamlRendererFactory = renderers::StageRendererFactory<YamlSettings, kYaml>;

}  // namespace

DRIFTLESS_PLUGIN(YamlRendererFactory, "yaml", "renderer", "0.2.0", "Plain YAML and JSON manifests, read as kubectl reads them")
