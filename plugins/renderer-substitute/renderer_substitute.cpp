// renderer "substitute": Flux's postBuild variable substitution (${var},
// ${var:=default}, $${escaped} ...) on the objects of the earlier stages.
// Chained after the stages that built them: `renderers: [kustomize, substitute]`.
#include <driftless/export.hpp>

#include "stage_plugin.hpp"
#include "substitute_stage.hpp"

namespace {

using namespace driftless;
using renderers::SubstituteSettings;

void render(Context&, const RenderRequest&, const SubstituteSettings& settings, RenderResult& out) {
  renderers::substitute_variables(settings, out);
}

constexpr renderers::Stage<SubstituteSettings> kSubstitute{renderers::substitute_schema, render, renderers::no_tool};
using SubstituteRendererFactory = renderers::StageRendererFactory<SubstituteSettings, kSubstitute>;

}  // namespace

DRIFTLESS_PLUGIN(SubstituteRendererFactory, "substitute", "renderer", "0.1.0",
                 "Flux postBuild variable substitution on the objects of the earlier stages")
