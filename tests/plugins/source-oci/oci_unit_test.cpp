// The oci source's parts that need no registry: its config block, the
// WWW-Authenticate challenges of registries, Docker config.json credentials,
// and manifests good and hostile.
#include <gtest/gtest.h>

#include "driftless/toolkit/hash.hpp"
#include "oci_spec.hpp"
#include "registry_auth.hpp"
#include "registry_client.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::oci;

namespace {
Result<OciSpec> spec_of(const std::string& json) {
  auto value = parse_json(json);
  EXPECT_TRUE(value.ok());
  return parse_oci_spec(*value);
}
std::string error_of(const Result<OciSpec>& r) { return r.ok() ? "" : r.error().message; }
}  // namespace

TEST(OciSpec, UrlRefAndLayerSelector) {
  auto spec = spec_of(R"({"url": "oci://ghcr.io/acme/fleet-manifests", "ref": {"semver": "^1.2"},
                          "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"}})");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->url.host, "ghcr.io");
  EXPECT_EQ(spec->url.repository, "acme/fleet-manifests");
  EXPECT_EQ(spec->ref.kind, RefKind::semver);
  EXPECT_TRUE(spec->ref.range.has_value());
  EXPECT_EQ(spec->layer.operation, LayerOperation::copy);
  auto latest = spec_of(R"({"url": "oci://127.0.0.1:5000/app"})");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->url.host, "127.0.0.1:5000");
  EXPECT_EQ(latest->ref.kind, RefKind::tag);
  EXPECT_EQ(latest->ref.value, "latest");
}

TEST(OciSpec, MistakesNameTheKey) {
  EXPECT_NE(error_of(spec_of(R"({"url": "https://ghcr.io/acme/app"})")).find("not an OCI repository URL"), std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://ghcr.io"})")).find("needs a host and a repository"), std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://user:pw@ghcr.io/app"})")).find("credentials before '@'"), std::string::npos);
  EXPECT_EQ(error_of(spec_of(R"({"url": "oci://user:pw@ghcr.io/app"})")).find("pw"), std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://ghcr.io/app:v1"})")).find("the tag or digest goes in ref"), std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://ghcr.io/app", "ref": {"tag": "v1", "digest": "sha256:00"}})"))
                .find("exactly one of tag, semver or digest (found 2)"),
            std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://ghcr.io/app", "ref": {"digest": "sha256:00"}})")).find("ref.digest"),
            std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://ghcr.io/app", "ref": {"semver": "^banana"}})")).find("ref.semver"), std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://ghcr.io/app", "auth": {"username": "u"}})")).find("needs passwordFile or passwordEnv"),
            std::string::npos);
  EXPECT_NE(error_of(spec_of(R"({"url": "oci://ghcr.io/app", "auth": {"username": "u", "passwordEnv": "P", "dockerConfigFile": "c"}})"))
                .find("either dockerConfigFile or username"),
            std::string::npos);
}

TEST(RegistryAuth, ChallengesAsGhcrDockerHubAndBasicRegistriesSendThem) {
  auto ghcr = parse_challenge(R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull")");
  ASSERT_TRUE(ghcr.has_value());
  EXPECT_EQ(ghcr->scheme, "bearer");
  EXPECT_EQ(ghcr->params["realm"], "https://ghcr.io/token");
  EXPECT_EQ(ghcr->params["service"], "ghcr.io");
  EXPECT_EQ(ghcr->params["scope"], "repository:acme/app:pull");
  auto basic = parse_challenge(R"(Basic realm="driftless test registry")");
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_FALSE(parse_challenge("").has_value());
  EXPECT_EQ(basic_authorization({"user", "pass"}), "Basic dXNlcjpwYXNz");
}

TEST(RegistryAuth, DockerConfigEntriesByHost) {
  test::TempDir dir;
  test::write_file(dir / "config.json", R"({"auths": {"https://index.docker.io/v1/": {"auth": ")" + base64_encode("hub:secret1") +
                                            R"("}, "ghcr.io": {"username": "gh", "password": "secret2"}}, "credsStore": "desktop"})");
  OciAuth auth;
  auth.docker_config_file = (dir / "config.json").string();
  auto hub = read_credentials(auth, "registry-1.docker.io");
  ASSERT_TRUE(hub.ok() && hub->has_value()) << (hub.ok() ? "" : hub.error().message);
  EXPECT_EQ((*hub)->username, "hub");
  EXPECT_EQ((*hub)->password, "secret1");
  auto gh = read_credentials(auth, "ghcr.io");
  ASSERT_TRUE(gh.ok() && gh->has_value());
  EXPECT_EQ((*gh)->password, "secret2");
  auto other = read_credentials(auth, "quay.io");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("no \"auths\" entry with a user and password for quay.io"), std::string::npos);
  EXPECT_EQ(other.error().message.find("secret"), std::string::npos);
}

TEST(Manifest, LayersAndAnnotationsAndWhatIsRefused) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  auto good = parse_manifest(R"({"schemaVersion": 2, "layers": [{"mediaType": "application/vnd.cncf.flux.content.v1.tar+gzip",
      "digest": ")" + digest + R"(", "size": 120}], "annotations": {"org.opencontainers.image.revision": "main@sha1:abc"}})",
                             "sha256:m", "m");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->layers.at(0).size, 120u);
  EXPECT_EQ(good->annotations.at("org.opencontainers.image.revision"), "main@sha1:abc");
  const std::vector<std::pair<std::string, std::string>> refused{
      {R"({"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []})", "is an image index"},
      {R"({"layers": []})", "has no layers"},
      {R"({"layers": [{"digest": "sha512:ab", "size": 1}]})", "needs a sha256 digest and a size"},
      {R"({"layers": [{"digest": ")" + digest + R"(", "size": -1}]})", "needs a sha256 digest and a size"},
      {"not json", "is not a JSON manifest"},
  };
  for (const auto& [body, expected] : refused) {
    auto r = parse_manifest(body, "sha256:m", "m");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
  }
}
