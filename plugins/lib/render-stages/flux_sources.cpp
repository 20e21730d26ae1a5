#include "flux_sources.hpp"

#include <map>

#include "object_fields.hpp"
#include "repository_url.hpp"

namespace driftless::renderers {
namespace {

// GitRepository fields driftless does not do, and what happens instead.
const std::map<std::string, std::string, std::less<>> kGitNotDone = {
    {"secretRef", "driftless never reads Secrets of the cluster; the repository is fetched without credentials, so a "
                  "private one fails to fetch: configure a pipeline with its own git source and auth instead"},
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

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

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
  const Value* spec = fields.object_at(&source.body, "spec", "spec");
  if (!spec) {
    fields.error("spec is required");
    return std::nullopt;
  }
  for (const auto& [key, value] : spec->as_object())
    if (auto not_done = kGitNotDone.find(key); not_done != kGitNotDone.end())
      fields.warn("spec." + key + " is not supported: " + not_done->second);

  const std::string url = fields.string_at(spec, "url", "spec.url");
  // Only the network: a repository must not make driftless read a folder of its own machine.
  if (!starts_with(url, "https://") && !starts_with(url, "http://") && !starts_with(url, "git://"))
    fields.error("spec.url '" + repository_key(url) + "': driftless fetches a repository a Kustomization names "
                         "over https://, http:// or git:// only (ssh needs keys and known hosts, which a repository "
                         "cannot give); configure a pipeline with its own git source for it");
  Object ref;
  const Value* wanted = fields.object_at(spec, "ref", "spec.ref");
  for (const char* kind : {"branch", "tag", "semver", "commit"})
    if (auto value = fields.string_at(wanted, kind, std::string("spec.ref.") + kind); !value.empty()) {
      ref.set(kind, value);
      break;
    }
  if (ref.empty() && !fields.string_at(wanted, "name", "spec.ref.name").empty())
    fields.error("spec.ref.name is not supported: name a branch, tag, semver range or commit");
  if (ref.empty()) ref.set("branch", "master");  // Flux's default when spec.ref is absent
  Object config;
  config.set("url", url);
  config.set("ref", Value(std::move(ref)));
  if (auto timeout = fields.duration_at(spec, "timeout", "spec.timeout"))
    config.set("timeout", std::to_string(timeout->count()) + "ms");
  if (fields.failed()) return std::nullopt;
  return PluginUse{"git", Value(std::move(config))};
}

}  // namespace driftless::renderers
