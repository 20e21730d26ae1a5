#include "oci_spec.hpp"

#include <algorithm>

namespace driftless::oci {
namespace {

// The ref block as written: one of its keys is set.
struct RefKeys {
  std::string tag, semver, digest;
};

Result<OciRef> ref_of(const RefKeys& keys) {
  OciRef ref;
  int refs = 0;
  for (auto [value, kind] : {std::pair{&keys.tag, RefKind::tag}, {&keys.semver, RefKind::semver}, {&keys.digest, RefKind::digest}}) {
    if (value->empty()) continue;
    ++refs;
    ref.kind = kind;
    ref.value = *value;
  }
  if (refs != 1)
    return fail(ErrorCode::invalid_input, "'ref' needs exactly one of tag, semver or digest (found " + std::to_string(refs) + ")");
  if (ref.kind == RefKind::digest && !is_sha256_digest(ref.value))
    return fail(ErrorCode::invalid_input, "ref.digest '" + ref.value + "' must be 'sha256:' and 64 lowercase hex digits");
  if (ref.kind == RefKind::semver) {
    auto range = SemVerRange::parse(ref.value);
    if (!range.ok()) return fail(ErrorCode::invalid_input, "ref.semver: " + range.error().message);
    ref.range = *range;
  }
  return ref;
}

Result<OciAuth> auth_of(const OciAuth& auth) {
  const BasicAuth& basic = auth.basic;
  if (!auth.docker_config_file.empty() && !(basic.username.empty() && basic.password_file.empty() && basic.password_env.empty()))
    return fail(ErrorCode::invalid_input, "auth: set either dockerConfigFile or username with a password, not both");
  if (auto checked = checked_basic_auth(basic); !checked.ok()) return checked.error();
  return auth;
}

}  // namespace

bool is_sha256_digest(const std::string& s) {
  return s.size() == 71 && s.rfind("sha256:", 0) == 0 &&
         std::all_of(s.begin() + 7, s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<OciUrl> parse_oci_url(const std::string& url) {
  OciUrl out;
  out.text = url;
  const std::string scheme = "oci://";
  if (url.rfind(scheme, 0) != 0)
    return fail(ErrorCode::invalid_input, "url '" + url + "' is not an OCI repository URL: write oci://host/repository");
  const std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  out.host = rest.substr(0, slash);
  if (out.host.find('@') != std::string::npos)
    return fail(ErrorCode::invalid_input, "url must not carry credentials before '@'; use auth.username with "
                                          "auth.passwordFile or auth.passwordEnv, or auth.dockerConfigFile");
  if (out.host.empty() || slash == std::string::npos || slash + 1 == rest.size())
    return fail(ErrorCode::invalid_input, "url '" + url + "' needs a host and a repository: oci://host/repository");
  out.repository = rest.substr(slash + 1);
  while (!out.repository.empty() && out.repository.back() == '/') out.repository.pop_back();
  // Repository names as the distribution spec allows them: lowercase, digits, separators.
  const bool valid = std::all_of(out.repository.begin(), out.repository.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
  });
  if (!valid || out.repository.empty() || out.repository.find("..") != std::string::npos)
    return fail(ErrorCode::invalid_input, "url '" + url + "': '" + out.repository + "' is not a repository name (lowercase "
                                          "letters, digits, '.', '_', '-', '/'; the tag or digest goes in ref)");
  return out;
}

const SettingsSchema<OciSpec>& oci_schema() {
  static const auto schema =
      SettingsSchema<OciSpec>()
          .key(ConfigKey("url", ConfigType::string, "Repository of an OCI registry: oci://ghcr.io/org/manifests.").required(),
               &OciSpec::url, parse_oci_url)
          .block(ConfigKey("ref", ConfigType::object, "What to follow; exactly one of tag, semver, digest (default: tag latest)."),
                 &OciSpec::ref,
                 SettingsSchema<RefKeys>()
                     .key(ConfigKey("tag", ConfigType::string, "Follow this tag (a moved tag is followed too)."), &RefKeys::tag)
                     .key(ConfigKey("semver", ConfigType::string,
                                    "Follow the highest tag inside this version range, e.g. '>=1.0.0 <2.0.0', '^1.2', '1.x'."),
                          &RefKeys::semver)
                     .key(ConfigKey("digest", ConfigType::string, "Pin this manifest digest (sha256:<64 hex>)."),
                          &RefKeys::digest),
                 ref_of)
          .key(ConfigKey("insecure", ConfigType::boolean, "Speak plain http to the registry (a registry on loopback).")
                   .default_to(false),
               &OciSpec::insecure)
          .block(ConfigKey("auth", ConfigType::object,
                           "Credentials; read at every fetch. Without them the registry is read anonymously."),
                 &OciSpec::auth,
                 SettingsSchema<OciAuth>()
                     .part(&OciAuth::basic, basic_auth_schema())
                     .key(ConfigKey("dockerConfigFile", ConfigType::path,
                                    "A Docker config.json (as `docker login` writes it); its \"auths\" entry for the "
                                    "registry's host is used (credential helpers are not)."),
                          &OciAuth::docker_config_file),
                 auth_of)
          .block(ConfigKey("layerSelector", ConfigType::object, "Which layer of the artifact holds the files, and what to do with it."),
                 &OciSpec::layer,
                 SettingsSchema<LayerSelector>()
                     .key(ConfigKey("mediaType", ConfigType::string,
                                    "Media type of the layer to take, e.g. application/vnd.cncf.helm.chart.content.v1.tar+gzip "
                                    "(default: the first layer, as `flux push artifact` makes one)."),
                          &LayerSelector::media_type)
                     .choice(ConfigKey("operation", ConfigType::string,
                                       "'extract': unpack the layer (a .tar.gz) as the snapshot; 'copy': the snapshot holds "
                                       "the layer unchanged as one file named after the repository's last path segment, plus .tgz.")
                                 .default_to("extract"),
                             &LayerSelector::operation, {{"extract", LayerOperation::extract}, {"copy", LayerOperation::copy}}))
          .key(ConfigKey("timeout", ConfigType::duration, "Limit for each request to the registry.").default_to(std::int64_t{60000}),
               &OciSpec::timeout)
          .key(ConfigKey("maxTotalSize", ConfigType::integer, "Most bytes of the layer, and most bytes unpacked from it.")
                   .default_to(std::int64_t{512} << 20),
               &OciSpec::max_total_bytes, Minimum::at_least(1))
          .key(ConfigKey("maxEntries", ConfigType::integer, "Most entries (files, folders, links) of the layer's archive.")
                   .default_to(std::int64_t{10000}),
               &OciSpec::max_entries, Minimum::at_least(1))
          .key(ConfigKey("keepSnapshots", ConfigType::integer, "How many downloaded revisions to keep on disk.")
                   .default_to(std::int64_t{3}),
               &OciSpec::keep_snapshots, Minimum::at_least(1));
  return schema;
}

Result<OciSpec> parse_oci_spec(const Value& config) { return oci_schema().read(config); }

}  // namespace driftless::oci
