#include "flux_kustomization.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "driftless/toolkit/files.hpp"
#include "flux_fields.hpp"
#include "object_fields.hpp"
#include "repository_url.hpp"

namespace driftless::renderers {
namespace {

constexpr const char* kBootstrapName = "flux-system";  // Flux bootstrap's GitRepository, in its own namespace
constexpr const char* kKustomizeV1 = "kustomize.toolkit.fluxcd.io/v1";  // served since Flux 2.0

// The fields of a Kustomization's spec that driftless reads (docs/migrating-from-flux.md).
const std::set<std::string, std::less<>> kRead = {
    "sourceRef",  "path",         "interval",  "suspend",  "dependsOn",           "prune",
    "wait",       "healthChecks", "timeout",   "force",    "serviceAccountName",  "targetNamespace",
    "namePrefix", "nameSuffix",   "commonMetadata", "patches", "patchesStrategicMerge", "patchesJson6902",
    "images",     "components",   "decryption", "postBuild", "kubeConfig",
    "retryInterval"};

// Fields driftless knows but does not do, and what it does instead.
const std::map<std::string, std::string, std::less<>> kNotDone = {
    {"deletionPolicy", "driftless leaves the objects of a pipeline no longer declared in place"},
    {"healthCheckExprs", "driftless judges health by its own rules for each kind"},
    {"ignoreMissingComponents", "a missing component is an error"},
    {"validation", "driftless validates every object with a server-side dry run before applying"},
};

// A mapping of `members`, in order.
Object mapping(std::initializer_list<std::pair<std::string_view, Value>> members) {
  Object out;
  for (const auto& [key, value] : members) out.set(key, value);
  return out;
}

// Reads the fields of one Kustomization, collecting findings against it.
using Reader = ObjectFields;

// The variables of spec.postBuild: substituteFrom in order, then substitute
// on top (as Flux does), read from the objects of the render, never the
// cluster. Values are never put into a message.
std::optional<Object> substitution_variables(Reader& r, const Value& post_build, const std::string& ns,
                                             const std::vector<KubeObject>& objects) {
  Object variables;
  bool ok = true;
  for (const auto& ref : r.array_at(&post_build, "substituteFrom", "spec.postBuild.substituteFrom")) {
    if (!ref.is_object()) continue;
    const std::string kind = r.string_at(&ref, "kind", "spec.postBuild.substituteFrom.kind");
    const std::string name = r.string_at(&ref, "name", "spec.postBuild.substituteFrom.name");
    const std::string wanted = kind + "/" + ns + "/" + name;
    if (kind != "ConfigMap" && kind != "Secret") {
      r.error("spec.postBuild.substituteFrom " + wanted + ": the kind must be ConfigMap or Secret");
      ok = false;
      continue;
    }
    auto found = std::find_if(objects.begin(), objects.end(), [&](const KubeObject& o) {
      return o.kind() == kind && o.name() == name && (o.namespace_name() == ns || o.namespace_name().empty());
    });
    if (found == objects.end()) {
      if (r.maybe_bool_at(&ref, "optional", "spec.postBuild.substituteFrom.optional").value_or(false)) {
        r.say(Severity::info, "spec.postBuild.substituteFrom " + wanted + " (optional) is not among the objects of this render");
        continue;
      }
      r.error("spec.postBuild.substituteFrom " + wanted + " is not among the objects of this render: driftless "
              "reads it from the repository, never the cluster; put it beside the Kustomization, or mark it optional: true");
      ok = false;
      continue;
    }
    if (found->body.find("sops")) {
      r.error("spec.postBuild.substituteFrom " + wanted + " is still encrypted with sops: put the sops renderer before flux");
      ok = false;
      continue;
    }
    auto data = object_data(*found);
    if (!data.ok()) {
      r.error("spec.postBuild.substituteFrom " + wanted + ": " + data.error().message);
      ok = false;
      continue;
    }
    for (auto& [key, value] : *data) variables.set(key, std::move(value));
  }
  if (const Value* inline_values = post_build.find("substitute"); inline_values && !inline_values->is_null()) {
    if (!inline_values->is_object()) r.error("spec.postBuild.substitute must be a mapping of names to strings");
    else
      for (const auto& [key, value] : inline_values->as_object()) {
        if (value.is_string()) variables.set(key, value);
        else r.error("spec.postBuild.substitute." + key + " must be a string");
        ok = ok && value.is_string();
      }
  }
  return ok ? std::optional<Object>(std::move(variables)) : std::nullopt;
}

// The kustomize overlay Flux lays over the folder (targetNamespace, namePrefix,
// nameSuffix, commonMetadata, patches, images, components), as the overlay
// renderer's config; v1beta2's patchesStrategicMerge and patchesJson6902 join `patches`.
Object overlay_config(const Value& spec) {
  Object overlay;
  for (const char* key : {"targetNamespace", "namePrefix", "nameSuffix", "commonMetadata", "images", "components"})
    if (const Value* v = spec.find(key); v && !v->is_null()) overlay.set(key, *v);
  Array patches;
  if (const Value* v = spec.find("patches"); v && v->is_array()) patches = v->as_array();
  if (const Value* v = spec.find("patchesStrategicMerge"); v && v->is_array())
    for (const auto& patch : v->as_array()) patches.push_back(mapping({{"patch", to_json(patch)}}));
  if (const Value* v = spec.find("patchesJson6902"); v && v->is_array())
    for (const auto& entry : v->as_array()) {
      Object patch = mapping({{"patch", to_json(entry.find("patch") ? *entry.find("patch") : Value(Array{}))}});
      if (const Value* target = entry.find("target")) patch.set("target", *target);
      patches.push_back(std::move(patch));
    }
  if (!patches.empty()) overlay.set("patches", std::move(patches));
  return overlay;
}

// How the kube sink applies the declared pipeline.
Object sink_overlay(Reader& r, const Value& spec, const std::string& ns) {
  Object sink;
  if (auto prune = r.maybe_bool_at(&spec, "prune", "spec.prune")) sink.set("prune", *prune);
  if (auto force = r.maybe_bool_at(&spec, "force", "spec.force")) sink.set("force", *force);
  if (auto wait = r.maybe_bool_at(&spec, "wait", "spec.wait")) sink.set("wait", *wait);
  if (!r.array_at(&spec, "healthChecks", "spec.healthChecks").empty()) {
    sink.set("wait", true);
    r.warn("spec.healthChecks: driftless waits for every object of the pipeline to be healthy, not only the ones named");
  }
  if (auto timeout = r.duration_at(&spec, "timeout", "spec.timeout"))
    sink.set("healthTimeout", std::to_string(timeout->count()) + "ms");
  if (auto account = r.string_at(&spec, "serviceAccountName", "spec.serviceAccountName"); !account.empty())
    sink.set("impersonate", mapping({{"user", "system:serviceaccount:" + ns + ":" + account}}));
  if (auto target = r.string_at(&spec, "targetNamespace", "spec.targetNamespace"); !target.empty()) sink.set("namespace", target);
  return sink;
}

// The kubeconfig context of spec.kubeConfig ("" = the parent's cluster). Flux
// reads a kubeconfig from the Secret; driftless never reads the cluster's
// Secrets, so the Secret's name names a context of the parent sink's own
// kubeconfig, one the operator offers in its declaredContexts.
std::string remote_context(Reader& r, const Value& spec) {
  const Value* kube_config = r.object_at(&spec, "kubeConfig", "spec.kubeConfig");
  if (!kube_config) return "";
  const Value* secret = r.object_at(kube_config, "secretRef", "spec.kubeConfig.secretRef");
  const std::string context = r.string_at(secret, "name", "spec.kubeConfig.secretRef.name");
  if (context.empty()) {
    r.error("spec.kubeConfig: driftless reads secretRef.name only, as a context of the pipeline's kubeconfig (a cluster "
            "from a ConfigMap, configMapRef, is not supported)");
    return "";
  }
  r.say(Severity::info, "spec.kubeConfig.secretRef: the Secret '" + context + "' is not read; the pipeline applies to the "
                        "context '" + context + "' of its parent's kubeconfig, which the kube sink must list in "
                        "declaredContexts (docs/migrating-from-flux.md)");
  return context;
}

// The age identities and OpenPGP keys of the flux stage's config, as the sops keys that set
// them (the unset ones left out: the core checks what a declaration passes).
Object sops_keys(const SopsSettings& sops) {
  Object keys;
  if (!sops.age_key_file.empty()) keys.set("ageKeyFile", sops.age_key_file);
  if (!sops.age_key_env.empty()) keys.set("ageKeyEnv", sops.age_key_env);
  if (!sops.pgp_key_file.empty()) keys.set("pgpKeyFile", sops.pgp_key_file);
  if (!sops.pgp_key_env.empty()) keys.set("pgpKeyEnv", sops.pgp_key_env);
  return keys;
}

// The flux stage's own config, for the nested Kustomizations of a declared pipeline.
Object flux_config(const FluxSettings& settings) {
  Array child_renderers;
  for (const auto& name : settings.child_renderers) child_renderers.push_back(name);
  Object config = sops_keys(settings.sops);
  config.set("childRenderers", std::move(child_renderers));
  return config;
}

// The stages Flux runs on the folder: its generator (auto, which leaves the
// Flux objects to the flux stage further on), the kustomize overlay, sops,
// the substitution, then the nested Kustomizations and the child renderers;
// last, flux-status, whose work after apply must come after all other (the
// helmrelease renderer's releases), where the cluster serves Kustomizations.
std::vector<PluginUse> renderer_chain(Reader& r, const KubeObject& kustomization, const Value& spec,
                                      const FluxRender& render, const std::string& context) {
  const std::string ns = kustomization.namespace_name();
  std::vector<PluginUse> chain{{"auto", mapping({{"flux", false}})}};
  if (Object overlay = overlay_config(spec); !overlay.empty()) chain.push_back({"overlay", std::move(overlay)});
  if (const Value* decryption = spec.find("decryption"); decryption && decryption->is_object()) {
    const std::string provider = r.string_at(decryption, "provider", "spec.decryption.provider");
    if (provider != "sops") r.error("spec.decryption.provider '" + provider + "': driftless decrypts sops only");
    if (const Value* secret = decryption->find("secretRef"); secret && !secret->is_null())
      r.warn("spec.decryption.secretRef (" + secret->string_or("name") + "): driftless decrypts with the keys of its own "
             "config (the flux renderer's ageKeyFile or ageKeyEnv, else SOPS_AGE_KEY_FILE, and pgpKeyFile or pgpKeyEnv), "
             "never a Secret of the cluster: mount that Secret and point pgpKeyFile at its folder for its *.asc keys");
    chain.push_back({"sops", sops_keys(render.settings.sops)});
  }
  if (const Value* post_build = spec.find("postBuild"); post_build && post_build->is_object()) {
    if (auto variables = substitution_variables(r, *post_build, ns, render.objects)) {
      Object substitute = mapping({{"variables", std::move(*variables)}, {"strict", false}});
      if (auto strategy = r.string_at(post_build, "substituteStrategy", "spec.postBuild.substituteStrategy"); !strategy.empty())
        substitute.set("substituteStrategy", strategy);
      chain.push_back({"substitute", std::move(substitute)});
    }
  }
  chain.push_back({"flux", flux_config(render.settings)});
  for (const auto& name : render.settings.child_renderers) chain.push_back({name, Object{}});
  const std::string status_version = served_status_version(kustomization, render.cluster);
  if (!status_version.empty() && !context.empty())
    r.say(Severity::info, "its status is not written: the Kustomization is in this cluster, its objects go to the "
                          "context '" + context + "'");
  else if (!status_version.empty() && ns.empty())
    r.say(Severity::info, "metadata.namespace is not set, so driftless cannot tell which object of the cluster this "
                          "Kustomization is: its status is not written");
  else if (!status_version.empty())
    chain.push_back({"flux-status", mapping({{"name", kustomization.name()}, {"namespace", ns}, {"apiVersion", status_version}})});
  return chain;
}

}  // namespace

std::string source_ref_id(const KubeObject& kustomization) {
  const Value* ref = kustomization.body.at_path({"spec", "sourceRef"});
  if (!ref || !ref->is_object()) return "";
  return ref->string_or("kind") + "/" + ref->string_or("namespace", kustomization.namespace_name()) + "/" +
         ref->string_or("name");
}

std::string served_status_version(const KubeObject& kustomization, const ClusterInfo* cluster) {
  if (!cluster) return "";
  auto served = [&](const std::string& api_version) {
    return std::find(cluster->api_versions.begin(), cluster->api_versions.end(), api_version + "/Kustomization") !=
           cluster->api_versions.end();
  };
  for (std::string api_version : {kustomization.api_version(), std::string(kKustomizeV1)})
    if (served(api_version)) return api_version;
  return "";
}

std::optional<DeclaredPipeline> read_kustomization(const KubeObject& kustomization, const FluxRender& render,
                                                   std::vector<Diagnostic>& out) {
  std::vector<Diagnostic> found;
  Reader r(kustomization, found);
  const std::string ns = kustomization.namespace_name();
  const Value* spec_value = kustomization.body.find("spec");
  const Value spec = spec_value && spec_value->is_object() ? *spec_value : Value(Object{});
  for (const auto& [key, value] : spec.as_object()) {
    if (auto not_done = kNotDone.find(key); not_done != kNotDone.end())
      r.warn("spec." + key + " is not supported and has no effect: " + not_done->second);
    else if (!kRead.count(key))
      r.warn("spec." + key + " is not a field driftless knows; it has no effect");
  }

  // The source: the repository the pipeline reads itself (directly, or as an ExternalArtifact made from it), or
  // another GitRepository or an OCIRepository, which the declared pipeline fetches as a source of its own.
  const Value* ref = spec.find("sourceRef");
  const std::string ref_kind = ref ? ref->string_or("kind") : "";
  const std::string ref_ns = ref ? ref->string_or("namespace", ns) : "";
  const std::string ref_name = ref ? ref->string_or("name") : "";
  const std::string ref_id = ref_kind + "/" + ref_ns + "/" + ref_name;
  auto source = std::find_if(render.sources.begin(), render.sources.end(), [&](const KubeObject& s) {
    return s.kind() == ref_kind && s.name() == ref_name && s.namespace_name() == ref_ns;
  });
  const Value* source_spec = source != render.sources.end() ? source->body.find("spec") : nullptr;
  // Flux's spec.path ("./apps/staging", "apps", "", ".", "/apps": Flux joins it to the source's root).
  const std::string path = r.string_at(&spec, "path", "spec.path");
  auto folder = join_inside("", !path.empty() && path[0] == '/' ? path.substr(1) : path);
  if (!folder) r.error("spec.path '" + spec.string_or("path") + "' leaves the source");
  std::optional<PluginUse> own_source;
  if (!ref || ref_name.empty()) {
    r.error("spec.sourceRef is required");
  } else if (ref_kind == "ExternalArtifact") {
    auto in_repository = folder ? render.artifacts.folder(ref_id, *folder) : Result<std::string>(std::string());
    if (in_repository.ok()) folder = folder ? std::optional<std::string>(*in_repository) : std::nullopt;
    else r.error("spec.sourceRef " + in_repository.error().message);
  } else if (ref_kind == "GitRepository" && is_own_repository(ref_ns, ref_name, source_spec, render.request.artifact)) {
    // The revision the pipeline fetched.
  } else if ((ref_kind == "GitRepository" || ref_kind == "OCIRepository") && source != render.sources.end()) {
    std::vector<Diagnostic> about_source;
    own_source = ref_kind == "GitRepository" ? git_source_of(*source, about_source) : oci_source_of(*source, about_source);
    for (auto& d : about_source) found.push_back(std::move(d));
  } else {
    r.error("spec.sourceRef " + ref_id + (ref_kind == "GitRepository" || ref_kind == "OCIRepository"
                                              ? " is not among the objects of this render; put it beside the Kustomization"
                                              : ": driftless reads GitRepository sources (this repository, another one, "
                                                "or an ExternalArtifact an ArtifactGenerator makes from this one) and "
                                                "OCIRepository sources; configure a pipeline with a source for it"));
  }

  DeclaredPipeline declared;
  declared.name = kustomization.name();
  declared.path = folder.value_or("");
  declared.source = std::move(own_source);
  declared.interval = r.duration_at(&spec, "interval", "spec.interval");
  declared.retry_interval = r.duration_at(&spec, "retryInterval", "spec.retryInterval");
  declared.suspended = r.maybe_bool_at(&spec, "suspend", "spec.suspend").value_or(false);
  for (const auto& dependency : r.array_at(&spec, "dependsOn", "spec.dependsOn")) {
    const std::string name = dependency.is_object() ? dependency.string_or("name") : "";
    if (name.empty()) r.error("spec.dependsOn: each entry needs a name");
    else if (dependency.string_or("namespace", ns) != ns)
      r.error("spec.dependsOn " + dependency.string_or("namespace") + "/" + name + ": driftless orders the "
              "Kustomizations of one render by name; a dependency in another namespace than " + ns + " is not supported");
    else declared.depends_on.push_back(name);
  }
  const std::string context = remote_context(r, spec);
  declared.renderers = renderer_chain(r, kustomization, spec, render, context);
  Object sink = sink_overlay(r, spec, ns);
  if (!context.empty()) sink.set("context", context);
  // Where flux-status writes Ready=True after a good apply, the kube sink writes Ready=False after a failed one.
  if (const PluginUse& last = declared.renderers.back(); last.type == "flux-status")
    sink.set("statusObject", mapping({{"apiVersion", last.config.string_or("apiVersion")}, {"kind", "Kustomization"},
                                      {"namespace", ns}, {"name", kustomization.name()}}));
  declared.sink = std::move(sink);
  declared.declared_by = kustomization.id();
  declared.origin = kustomization.origin;

  const bool failed = has_errors(found);
  const bool applies_this_folder = !failed && !declared.source && declared.path == render.request.path;
  if (applies_this_folder)
    r.say(Severity::info, "applies the folder '" + declared.path + "' this pipeline renders (Flux bootstrap's own "
                          "sync); driftless runs it as this pipeline, so it declares no pipeline of its own");
  for (auto& d : found) out.push_back(std::move(d));
  if (failed || applies_this_folder) return std::nullopt;
  return declared;
}

}  // namespace driftless::renderers
