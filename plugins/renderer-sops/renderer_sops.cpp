// renderer "sops": decrypts, in memory, the objects of the earlier stages that
// sops encrypted (a top-level `sops:` block), with age identities or OpenPGP
// keys (through gpg) from the machine running driftless. Chained after the
// stage that read the files: `renderers: [yaml, sops]`.
#include <driftless/export.hpp>

#include "sops_stage.hpp"
#include "stage_plugin.hpp"

namespace {

using namespace driftless;
using renderers::SopsSettings;

void render(Context& context, const RenderRequest&, const SopsSettings& settings, RenderResult& out) {
  renderers::decrypt_sops_objects(context, settings, out);
}

constexpr renderers::Stage<SopsSettings> kSops{renderers::sops_schema, render, renderers::no_tool};
using SopsRendererFactory = renderers::StageRendererFactory<SopsSettings, kSops>;

}  // namespace

DRIFTLESS_PLUGIN(SopsRendererFactory, "sops", "renderer", "0.1.0",
                 "Decrypts SOPS-encrypted manifests (age or OpenPGP keys) in memory")
