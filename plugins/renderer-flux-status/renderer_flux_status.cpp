// renderer "flux-status": the last stage of a pipeline declared by a Flux
// Kustomization, added by the flux renderer when the cluster serves Flux's
// Kustomization kind. It passes the objects on unchanged and hands the core
// an after-apply step that writes the Kustomization's status (Ready, the
// applied revision, the inventory of those objects) once they were applied
// without errors, on the kube sink's cluster as the sink's identity (see
// kustomization_status.hpp and docs/migrating-from-flux.md).
#include <driftless/export.hpp>
#include <driftless/toolkit/settings.hpp>

#include <algorithm>
#include <memory>
#include <string_view>

#include "kustomization_status.hpp"
#include "ready_status.hpp"
#include "target.hpp"

namespace {

using namespace driftless;
using fluxstatus::KustomizationRef;

// "kustomize.toolkit.fluxcd.io/<version>": the status goes to Flux's group only.
Result<std::string> kustomization_version(const std::string& key, const std::string& api_version) {
  constexpr std::string_view group = "kustomize.toolkit.fluxcd.io/";
  const std::string version = api_version.rfind(group, 0) == 0 ? api_version.substr(group.size()) : "";
  const bool valid = !version.empty() && std::all_of(version.begin(), version.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
  if (!valid) return fail(ErrorCode::invalid_input, key + " '" + api_version + "' is not a version of kustomize.toolkit.fluxcd.io");
  return api_version;
}

const SettingsSchema<KustomizationRef>& schema() {
  using K = KustomizationRef;
  static const auto schema =
      SettingsSchema<K>()
          .key(ConfigKey("name", ConfigType::string,
                         "The Kustomization object whose status is written; the flux renderer sets it when it adds "
                         "this stage to the pipeline a Kustomization declares.").required(),
               &K::name, kube::object_name)
          .key(ConfigKey("namespace", ConfigType::string, "The Kustomization object's namespace.").required(), &K::namespace_name, kube::object_name)
          .key(ConfigKey("apiVersion", ConfigType::string, "The version of kustomize.toolkit.fluxcd.io the status is written through.")
                   .default_to("kustomize.toolkit.fluxcd.io/v1"),
               &K::api_version, kustomization_version);
  return schema;
}

class FluxStatusRenderer : public Renderer {
 public:
  explicit FluxStatusRenderer(KustomizationRef kustomization) : kustomization_(std::move(kustomization)) {}

  RenderResult render(Context&, RenderRequest request) override {
    RenderResult result;
    result.objects = std::move(request.objects);
    result.after_apply.push_back(std::make_shared<fluxstatus::StatusWrite>(kustomization_, request.artifact.revision,
                                                                           fluxstatus::inventory_of(result.objects)));
    return result;
  }

 private:
  KustomizationRef kustomization_;
};

class FluxStatusRendererFactory : public RendererFactory {
 public:
  std::vector<ConfigKey> config_keys() const override { return schema().keys(); }

  // The status is written on the kube sink's cluster, with its kubeconfig, context and impersonation.
  std::string after_apply_target() const override { return kube::kTargetKind; }

  Result<std::unique_ptr<Renderer>> create(const Value& config) const override {
    auto settings = schema().read(config);
    if (!settings.ok()) return settings.error();
    return std::unique_ptr<Renderer>(std::make_unique<FluxStatusRenderer>(std::move(*settings)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(FluxStatusRendererFactory, "flux-status", "renderer", "0.1.0",
                 "Writes a Flux Kustomization's status (Ready, revision, inventory) after its pipeline applied")
