#include "argocd_application_set.hpp"

#include "argocd_generators.hpp"
#include "argocd_tools.hpp"
#include "helm_stage.hpp"

namespace driftless::renderers {
namespace {

constexpr std::size_t kMaxGenerated = 1000;  // Applications one ApplicationSet may generate

}  // namespace

std::vector<KubeObject> generate_applications(const KubeObject& set, const Artifact& artifact,
                                              const std::vector<ArgocdCluster>& clusters, std::vector<Diagnostic>& out) {
  ObjectFields fields(set, out);
  const Value* spec = fields.object_at(&set.body, "spec", "spec");
  const Value* templ = fields.object_at(spec, "template", "spec.template");
  if (!templ) fields.error("spec.template", "is required: the Application each element becomes");
  fields.warn_unknown(spec, "spec", {"generators", "template", "goTemplate", "goTemplateOptions", "syncPolicy", "strategy",
                                     "templatePatch", "preservedFields", "ignoreApplicationDifferences"}, kArgocdDocs);
  for (const char* unsupported : {"templatePatch", "strategy"})
    if (spec && spec->find(unsupported))
      fields.error(std::string("spec.") + unsupported, "is not supported yet (" + std::string(kArgocdDocs) + ")");
  if (spec && spec->find("syncPolicy"))
    fields.info("spec.syncPolicy", "driftless leaves the objects of a removed Application in place, as preserveResourcesOnDeletion does");
  const bool go = fields.bool_at(spec, "goTemplate", "spec.goTemplate");
  if (fields.failed()) return {};
  Generators generators(fields, artifact, clusters, go);
  std::vector<Parameters> elements;
  const Array& listed = fields.array_at(spec, "generators", "spec.generators");
  for (std::size_t i = 0; i < listed.size(); ++i)
    for (auto& element : generators.run(listed[i], "spec.generators[" + std::to_string(i) + "]"))
      elements.push_back(std::move(element));
  if (elements.size() > kMaxGenerated)
    fields.error("spec.generators", "generate " + std::to_string(elements.size()) + " Applications, more than " +
                                        std::to_string(kMaxGenerated));
  if (fields.failed()) return {};
  if (elements.empty()) fields.warn("spec.generators", "generate no Application");
  std::vector<KubeObject> applications;
  for (const auto& parameters : elements) {
    Value body = *templ;
    // A generator's own template overrides spec.template field by field.
    if (!parameters.templ.is_null()) merge_into(body, parameters.templ);
    if (!substitute_all(fields, "spec.template", go, true, parameters, body)) return {};
    body.as_object().set("apiVersion", "argoproj.io/v1alpha1");
    body.as_object().set("kind", "Application");
    Value& metadata = body.as_object()["metadata"];
    if (!metadata.is_object()) metadata = Object{};
    metadata.as_object().set("namespace", set.namespace_name());
    applications.push_back({std::move(body), set.origin});
  }
  return applications;
}

}  // namespace driftless::renderers
