#include "flux_sources.hpp"

#include <map>

#include "object_fields.hpp"
#include "repository_url.hpp"

namespace driftless::renderers {
namespace {

// GitRepository fields driftless does not do, and what happens instead.
const std::map<std::string, std::string, std::less<>> kGitNotDone = {
    {"secretRef", "driftless never reads Secrets of the cluster; a private repository is fetched with the credentials "
                  "the configured pipeline lends under declaredSourceAuth for its URL, else anonymously"},
    {"verify", "commits are not verified; configure a pipeline with a git source and verify to check signatures"},
    {"ignore", "every file of the folder is read (.driftlessignore files are honoured)"},
    {"include", "other GitRepositories are not merged in"},
    {"recurseSubmodules", "submodules are not fetched"},
    {"proxySecretRef", "the repository is fetched without a proxy"},
    {"provider", "the repository is fetched without a cloud provider's credentials"},
    {"sparseCheckout", "the whole repository is fetched"},
};

// What the pipeline's artifact follows: "main" of "main@sha1:<hex>"; "" when it follows no name.
std::string label_of(const Artifact& artifact) {
  const auto at = artifact.revision.rfind("@sha1:");
  return at == std::string::npos ? "" : artifact.revision.substr(0, at);
}

// Whether `ref` (a GitRepository's spec.ref) asks for what the artifact follows.
bool same_ref(const Value* ref, const Artifact& artifact) {
  if (!ref || !ref->is_object() || ref->as_object().empty()) return true;
  if (auto branch = ref->string_or("branch"); !branch.empty()) return branch == label_of(artifact);
  if (auto tag = ref->string_or("tag"); !tag.empty()) return tag == label_of(artifact);
  if (auto commit = ref->string_or("commit"); !commit.empty())
    return artifact.revision.size() > commit.size() &&
           artifact.revision.compare(artifact.revision.size() - commit.size(), commit.size(), commit) == 0;
  return false;  // semver, name: possibly another revision than the one fetched
}

// OCIRepository fields driftless does not do, and what happens instead.
const std::map<std::string, std::string, std::less<>> kOciNotDone = {
    {"secretRef", "driftless never reads Secrets of the cluster; a private artifact is pulled with the credentials "
                  "the configured pipeline lends under declaredSourceAuth for its URL, else anonymously (with the bearer "
                  "token a registry gives anyone)"},
    {"serviceAccountName", "no image pull secrets of the cluster are read; the artifact is pulled anonymously"},
    {"verify", "the artifact's signature is not verified (its digest is); configure a pipeline with an oci source "
               "pinned by ref.digest to trust exactly one artifact"},
    {"certSecretRef", "the registry's certificate is checked against the system's CAs, without a client certificate"},
    {"proxySecretRef", "the artifact is pulled without a proxy"},
    {"ignore", "every file of the artifact is read (.driftlessignore files are honoured)"},
};

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

// A Flux source object's spec (nullptr after an error), with a warning for
// each field of `not_done`.
const Value* source_spec(ObjectFields& fields, const std::map<std::string, std::string, std::less<>>& not_done) {
  const Value* spec = fields.object_at(&fields.object().body, "spec", "spec");
  if (!spec) {
    fields.error("spec is required");
    return nullptr;
  }
  for (const auto& [key, value] : spec->as_object())
    if (auto found = not_done.find(key); found != not_done.end())
      fields.warn("spec." + key + " is not supported: " + found->second);
  return spec;
}

// The first of `kinds` set in the mapping spec.ref, as {kind: value}.
Object source_ref(ObjectFields& fields, const Value* spec, std::initializer_list<const char*> kinds) {
  Object ref;
  const Value* wanted = fields.object_at(spec, "ref", "spec.ref");
  for (const char* kind : kinds)
    if (auto value = fields.string_at(wanted, kind, std::string("spec.ref.") + kind); !value.empty()) {
      ref.set(kind, value);
      break;
    }
  return ref;
}

// spec.timeout as the source plugins' timeout key.
void source_timeout(ObjectFields& fields, const Value* spec, Object& config) {
  if (auto timeout = fields.duration_at(spec, "timeout", "spec.timeout"))
    config.set("timeout", std::to_string(timeout->count()) + "ms");
}

}  // namespace

bool is_own_repository(const std::string& namespace_name, const std::string& name, const Value* spec,
                       const Artifact& artifact) {
  if (namespace_name == "flux-system" && name == "flux-system") return true;  // Flux bootstrap's own sync
  auto own = artifact.metadata.find("url");
  const std::string url = spec ? spec->string_or("url") : "";
  return !url.empty() && own != artifact.metadata.end() && repository_key(url) == repository_key(own->second) &&
         same_ref(spec->find("ref"), artifact);
}

std::optional<PluginUse> git_source_of(const KubeObject& source, std::vector<Diagnostic>& out) {
  ObjectFields fields(source, out);
  const Value* spec = source_spec(fields, kGitNotDone);
  if (!spec) return std::nullopt;
  const std::string url = fields.string_at(spec, "url", "spec.url");
  // Only the network: a repository must not make driftless read a folder of its own machine.
  if (!is_fetchable_git_url(url))
    fields.error("spec.url '" + repository_key(url) + "': driftless fetches a repository a Kustomization names "
                 "over https://, http://, git:// or ssh:// only (a file URL or path would read this machine)");
  Object ref = source_ref(fields, spec, {"branch", "tag", "semver", "commit"});
  if (ref.empty() && !fields.string_at(fields.object_at(spec, "ref", "spec.ref"), "name", "spec.ref.name").empty())
    fields.error("spec.ref.name is not supported: name a branch, tag, semver range or commit");
  if (ref.empty()) ref.set("branch", "master");  // Flux's default when spec.ref is absent
  Object config;
  config.set("url", url);
  config.set("ref", Value(std::move(ref)));
  source_timeout(fields, spec, config);
  if (fields.failed()) return std::nullopt;
  return PluginUse{"git", Value(std::move(config))};
}

std::optional<PluginUse> oci_source_of(const KubeObject& source, std::vector<Diagnostic>& out) {
  ObjectFields fields(source, out);
  const Value* spec = source_spec(fields, kOciNotDone);
  if (!spec) return std::nullopt;
  const std::string url = fields.string_at(spec, "url", "spec.url");
  if (!starts_with(url, "oci://"))
    fields.error("spec.url '" + url.substr(0, 200) + "': driftless pulls an OCIRepository from an oci:// URL only");
  if (auto provider = spec->string_or("provider", "generic"); provider != "generic")  // generic: Flux's default
    fields.warn("spec.provider '" + provider + "' is not supported: no cloud provider's credentials are used; "
                "the artifact is pulled anonymously");
  // Flux's precedence: a digest wins over a semver range, a range over a tag; "latest" when none is set.
  Object ref = source_ref(fields, spec, {"digest", "semver", "tag"});
  if (const Value* wanted = spec->find("ref"); wanted && wanted->is_object() && !wanted->string_or("semverFilter").empty())
    fields.warn("spec.ref.semverFilter is not supported: every tag in the semver range is a candidate");
  if (ref.empty()) ref.set("tag", "latest");
  Object config;
  config.set("url", url);
  config.set("ref", Value(std::move(ref)));
  if (const Value* insecure = spec->find("insecure"); insecure && insecure->is_bool()) config.set("insecure", *insecure);
  if (const Value* selector = spec->find("layerSelector"); selector && selector->is_object()) {
    Object layer;
    for (const char* key : {"mediaType", "operation"})
      if (auto value = selector->string_or(key); !value.empty()) layer.set(key, value);
    if (auto operation = selector->string_or("operation"); !operation.empty() && operation != "extract" && operation != "copy")
      fields.error("spec.layerSelector.operation '" + operation + "' is not one of extract, copy");
    config.set("layerSelector", Value(std::move(layer)));
  }
  source_timeout(fields, spec, config);
  if (fields.failed()) return std::nullopt;
  return PluginUse{"oci", Value(std::move(config))};
}

}  // namespace driftless::renderers
