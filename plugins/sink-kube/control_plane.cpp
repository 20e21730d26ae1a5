#include "control_plane.hpp"

#include <algorithm>
#include <string_view>

namespace driftless::kube {
namespace {

bool is_flux(const KubeObject& object) {
  constexpr std::string_view kSuffix = ".fluxcd.io";  // *.toolkit.fluxcd.io, source.extensions, helm.fluxcd.io (v1)
  const std::string group = object.group();
  return group.size() > kSuffix.size() && group.compare(group.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

bool is_argo_cd(const KubeObject& object) {
  constexpr std::string_view kKinds[] = {"Application", "ApplicationSet", "AppProject"};
  const std::string kind = object.kind();
  return object.group() == "argoproj.io" && std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

}  // namespace

std::vector<Diagnostic> refuse_control_plane_objects(const std::vector<KubeObject>& objects) {
  std::vector<Diagnostic> out;
  for (const auto& object : objects) {
    std::string message;
    if (is_flux(object))
      message = "a Flux object (" + object.api_version() + ") is not applied: driftless does Flux's work itself; read it "
                "with the flux renderer (renderers: [auto], or flux after the stage that reads it; HelmRelease with "
                "helmrelease), see docs/migrating-from-flux.md, or set keepFluxObjects: true on the sink to apply it anyway";
    else if (is_argo_cd(object))
      message = "an Argo CD " + object.kind() + " is not applied: it would hand work to an Argo CD controller; see "
                "docs/migrating-from-argocd.md, or set keepFluxObjects: true on the sink to apply it anyway";
    else
      continue;
    out.push_back({Severity::error, std::move(message), object.origin.file, object.origin.line, object.id()});
  }
  return out;
}

}  // namespace driftless::kube
