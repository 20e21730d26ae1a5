// The oci source against the registry of tests/env: artifacts pushed as
// `flux push artifact` makes them, read by tag, semver range and digest,
// anonymously from public/ and with credentials from private/; a moved tag
// is a new revision and an unchanged one downloads nothing (requests counted
// on the wire); bearer tokens as ghcr.io hands them out; and what a hostile
// registry may send — other bytes than the digest, a layer larger than
// allowed, an archive leaving its folder, a redirect — refused with the last
// good snapshot kept.
#include <gtest/gtest.h>

#include "driftless/toolkit/hash.hpp"
#include "source_fixture.hpp"
#include "test_registry.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

// An artifact's layer: the given files.
std::string layer(const TempDir& dir, const std::map<std::string, std::string>& files) {
  std::string script;
  for (const auto& [name, content] : files) script += "f('" + name + "', b'" + content + "')\n";
  return make_tarball(dir, script);
}

std::string config(const std::string& url, const std::string& ref, const std::string& extra = "") {
  return R"({"url": ")" + url + R"(", "insecure": true, "ref": )" + ref + (extra.empty() ? "" : ", " + extra) + "}";
}

}  // namespace

TEST(OciSource, TagSemverAndDigestOfAFluxArtifact) {
  TestRegistry registry;
  TempDir dir;
  const std::string repo = registry.repository("public", "fleet");
  registry.push(repo, "v1.0.0", layer(dir, {{"apps/cm.yaml", "v: 1.0.0\\n"}}));
  const std::string digest = registry.push(repo, "v1.2.0", layer(dir, {{"apps/cm.yaml", "v: 1.2.0\\n"}, {"README.md", "hi\\n"}}));
  registry.push(repo, "v2.0.0", layer(dir, {{"apps/cm.yaml", "v: 2.0.0\\n"}}));
  registry.push(repo, "not-a-version", layer(dir, {{"x.yaml", "x: 1\\n"}}));
  const std::string url = "oci://" + registry.host() + "/" + repo;

  SourceUnderTest tag("oci", config(url, R"({"tag": "v1.0.0"})"), dir / "tag");
  auto by_tag = tag.fetch();
  ASSERT_TRUE(by_tag.ok()) << by_tag.error().message;
  EXPECT_EQ(by_tag->revision.rfind("v1.0.0@sha256:", 0), 0u) << by_tag->revision;
  EXPECT_EQ(read_file(by_tag->root / "apps/cm.yaml"), "v: 1.0.0\n");
  EXPECT_FALSE(by_tag->folder_id("apps").empty());
  EXPECT_EQ(by_tag->metadata.at("source"), "https://github.com/acme/fleet");
  EXPECT_EQ(fs::status(by_tag->root / "apps/cm.yaml").permissions() & fs::perms::owner_write, fs::perms::none);

  SourceUnderTest semver("oci", config(url, R"({"semver": "^1.0"})"), dir / "semver");
  auto by_range = semver.fetch();
  ASSERT_TRUE(by_range.ok()) << by_range.error().message;
  EXPECT_EQ(by_range->revision, "v1.2.0@" + digest);
  EXPECT_EQ(read_file(by_range->root / "apps/cm.yaml"), "v: 1.2.0\n");

  SourceUnderTest pinned("oci", config(url, R"({"digest": ")" + digest + R"("})"), dir / "digest");
  auto by_digest = pinned.fetch();
  ASSERT_TRUE(by_digest.ok()) << by_digest.error().message;
  EXPECT_EQ(by_digest->revision, digest);
  EXPECT_EQ(read_file(by_digest->root / "README.md"), "hi\n");

  SourceUnderTest none("oci", config(url, R"({"semver": ">=3.0.0"})"), dir / "none");
  expect_error(none.fetch(), ErrorCode::not_found, "no tag of " + url + " is a version in the range '>=3.0.0'");
  SourceUnderTest missing("oci", config(url, R"({"tag": "v9"})"), dir / "missing");
  expect_error(missing.fetch(), ErrorCode::not_found, "MANIFEST_UNKNOWN");

  // A registry nothing answers at: its manifest URL is named once, by the HTTP client.
  SourceUnderTest unreachable("oci", config("oci://127.0.0.1:9/fleet", R"({"tag": "v1.0.0"})"), dir / "unreachable");
  auto down = unreachable.fetch();
  const std::string manifest = "http://127.0.0.1:9/v2/fleet/manifests/v1.0.0";
  expect_error(down, ErrorCode::unavailable, "GET " + manifest + ": ");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().message.find(manifest), down.error().message.rfind(manifest)) << down.error().message;
}

TEST(OciSource, AMovedTagIsANewRevisionAndAnUnchangedOneDownloadsNothing) {
  TestRegistry registry;
  TempDir dir;
  const std::string repo = registry.repository("public", "moving");
  registry.push(repo, "latest", layer(dir, {{"cm.yaml", "v: 1\\n"}}));
  RegistryProxy proxy(registry.host());
  SourceUnderTest source("oci", config("oci://" + proxy.host() + "/" + repo, R"({"tag": "latest"})"), dir / "state");
  auto first = source.fetch();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(proxy.blob_requests, 1);
  auto same = source.fetch(&*first);
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(same->revision, first->revision);
  EXPECT_EQ(proxy.manifest_requests, 2);
  EXPECT_EQ(proxy.blob_requests, 1) << "an unchanged tag costs one manifest request";

  registry.push(repo, "latest", layer(dir, {{"cm.yaml", "v: 2\\n"}}));
  auto moved = source.fetch(&*first);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_NE(moved->revision, first->revision);
  EXPECT_EQ(moved->revision.rfind("latest@sha256:", 0), 0u);
  EXPECT_EQ(read_file(moved->root / "cm.yaml"), "v: 2\n");
  EXPECT_EQ(read_file(first->root / "cm.yaml"), "v: 1\n") << "the snapshot in use stays";
}

TEST(OciSource, APrivateRepositoryNeedsTheCredentials) {
  TestRegistry registry;
  TempDir dir;
  const std::string repo = registry.repository("private", "fleet");
  registry.push(repo, "v1", layer(dir, {{"cm.yaml", "v: 1\\n"}}));
  const std::string url = "oci://" + registry.host() + "/" + repo;
  SourceUnderTest anonymous("oci", config(url, R"({"tag": "v1"})"), dir / "anonymous");
  expect_error(anonymous.fetch(), ErrorCode::unauthorized, "needs credentials (the registry asks for basic auth): set auth");

  ::setenv("TEST_OCI_PASSWORD", registry.password().c_str(), 1);
  SourceUnderTest with_env("oci", config(url, R"({"tag": "v1"})", R"("auth": {"username": ")" + registry.user() +
                                                                        R"(", "passwordEnv": "TEST_OCI_PASSWORD"})"),
                           dir / "env");
  auto fetched = with_env.fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(read_file(fetched->root / "cm.yaml"), "v: 1\n");

  write_file(dir / "docker.json", R"({"auths": {")" + registry.host() + R"(": {"auth": ")" +
                                      base64_encode(registry.user() + ":wrong-pa55word") + R"("}}})");
  SourceUnderTest wrong("oci", config(url, R"({"tag": "v1"})", R"("auth": {"dockerConfigFile": ")" + (dir / "docker.json").string() + R"("})"),
                        dir / "wrong");
  auto refused = wrong.fetch();
  expect_error(refused, ErrorCode::unauthorized, "the registry refused the credentials of auth");
  EXPECT_EQ(refused.error().message.find("pa55"), std::string::npos);
}

TEST(OciSource, ABearerTokenIsAskedForAsGhcrAndDockerHubWant) {
  TestRegistry registry;
  TempDir dir;
  const std::string repo = registry.repository("public", "guarded");
  registry.push(repo, "v1", layer(dir, {{"cm.yaml", "v: 1\\n"}}));
  RegistryProxy proxy(registry.host(), {}, true);
  SourceUnderTest source("oci", config("oci://" + proxy.host() + "/" + repo, R"({"tag": "v1"})"), dir / "state");
  auto fetched = source.fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(read_file(fetched->root / "cm.yaml"), "v: 1\n");
  EXPECT_EQ(proxy.token_requests, 1) << "one token for the manifest and the blob";
}

TEST(OciSource, LayerSelectorPicksAHelmChartAndCopyKeepsItWhole) {
  TestRegistry registry;
  TempDir dir;
  const std::string repo = registry.repository("public", "charts/web");
  const std::string chart = layer(dir, {{"web/Chart.yaml", "name: web\\n"}});
  registry.push(repo, "0.1.0", chart, "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
  const std::string url = "oci://" + registry.host() + "/" + repo;
  const std::string helm = R"("layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip")";
  SourceUnderTest extract("oci", config(url, R"({"tag": "0.1.0"})", helm + "}"), dir / "extract");
  auto extracted = extract.fetch();
  ASSERT_TRUE(extracted.ok()) << extracted.error().message;
  EXPECT_EQ(read_file(extracted->root / "web/Chart.yaml"), "name: web\n");
  SourceUnderTest copy("oci", config(url, R"({"tag": "0.1.0"})", helm + R"(, "operation": "copy"})"), dir / "copy");
  auto copied = copy.fetch();
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(read_file(copied->root / "web.tgz"), chart);
  SourceUnderTest other("oci", config(url, R"({"tag": "0.1.0"})", R"("layerSelector": {"mediaType": "application/x-other"})"),
                        dir / "other");
  expect_error(other.fetch(), ErrorCode::not_found, "has no layer of media type application/x-other (layerSelector.mediaType); "
                                                    "its layers: application/vnd.cncf.helm.chart.content.v1.tar+gzip");
}

TEST(OciSource, WhatAHostileRegistrySendsIsRefusedAndTheLastGoodSnapshotStays) {
  TestRegistry registry;
  TempDir dir;
  const std::string repo = registry.repository("public", "hostile");
  registry.push(repo, "v1", layer(dir, {{"cm.yaml", "v: 1\\n"}}));
  std::atomic<bool> tamper{false}, redirect_to_registry{false};
  const std::string upstream = registry.host();
  RegistryProxy proxy(upstream, [&](const std::string& target, RegistryProxy::Reply& reply) {
    if (target.find("/blobs/") == std::string::npos || reply.status != 200) return;
    if (tamper) reply.body.back() ^= 1;
    if (redirect_to_registry) {  // as a registry sends blobs from its storage
      reply = {307, "", {{"Location", "http://" + upstream + target}}};
    }
  });
  SourceUnderTest source("oci", config("oci://" + proxy.host() + "/" + repo, R"({"tag": "v1"})", R"("maxTotalSize": 4096)"),
                         dir / "state");
  auto good = source.fetch();
  ASSERT_TRUE(good.ok()) << good.error().message;

  // Other bytes than the digest the manifest names.
  registry.push(repo, "v1", layer(dir, {{"cm.yaml", "v: 2\\n"}}));
  tamper = true;
  auto tampered = source.fetch(&*good);
  expect_error(tampered, ErrorCode::invalid_input, ", not the digest the manifest names; refused, nothing is unpacked");
  tamper = false;
  // A layer larger than maxTotalSize is not even downloaded.
  const int blobs = proxy.blob_requests;
  registry.push(repo, "v1", std::string(5000, 'x'));
  expect_error(source.fetch(&*good), ErrorCode::invalid_input, "bytes, more than maxTotalSize (4096); nothing was downloaded");
  EXPECT_EQ(proxy.blob_requests, blobs);
  // A manifest that understates the layer's size: the download stops at the size it names.
  registry.push(repo, "v1", layer(dir, {{"cm.yaml", "v: 3\\n"}}), "application/vnd.cncf.flux.content.v1.tar+gzip", 10);
  expect_error(source.fetch(&*good), ErrorCode::invalid_input, "sent more than the 10 bytes the manifest names");
  // An archive leaving its folder.
  registry.push(repo, "v1", make_tarball(dir, "f('ok.yaml')\nf('../escape.yaml')"));
  expect_error(source.fetch(&*good), ErrorCode::invalid_input, "entry '../escape.yaml' refused");
  registry.push(repo, "v1", make_tarball(dir, "l('passwd.yaml', '/etc/passwd')"));
  expect_error(source.fetch(&*good), ErrorCode::invalid_input, "symlink 'passwd.yaml' points outside the archive");
  EXPECT_FALSE(fs::exists(dir / "escape.yaml"));
  EXPECT_FALSE(fs::exists(dir / "state/escape.yaml"));
  // Every failure left the last good snapshot as it was.
  EXPECT_EQ(read_file(good->root / "cm.yaml"), "v: 1\n");

  // A redirect to another host is followed, without the registry's credentials.
  registry.push(repo, "v1", layer(dir, {{"cm.yaml", "v: 4\\n"}}));
  redirect_to_registry = true;
  auto redirected = source.fetch(&*good);
  ASSERT_TRUE(redirected.ok()) << redirected.error().message;
  EXPECT_EQ(read_file(redirected->root / "cm.yaml"), "v: 4\n");
}

TEST(OciSource, ARedirectToAnotherHostGetsNoCredentials) {
  TestRegistry registry;
  TempDir dir;
  const std::string repo = registry.repository("private", "redirected");
  registry.push(repo, "v1", layer(dir, {{"cm.yaml", "v: 1\\n"}}));
  const std::string upstream = registry.host();
  RegistryProxy proxy(upstream, [&](const std::string& target, RegistryProxy::Reply& reply) {
    if (target.find("/blobs/") != std::string::npos && reply.status == 200)
      reply = {307, "", {{"Location", "http://" + upstream + target}}};
  });
  ::setenv("TEST_OCI_PASSWORD", registry.password().c_str(), 1);
  SourceUnderTest source("oci", config("oci://" + proxy.host() + "/" + repo, R"({"tag": "v1"})",
                                       R"("auth": {"username": ")" + registry.user() + R"(", "passwordEnv": "TEST_OCI_PASSWORD"})"),
                         dir / "state");
  // The manifest is read with the credentials; the blob's other host gets none, so the private registry refuses it.
  expect_error(source.fetch(), ErrorCode::unauthorized, "downloading layer sha256:");
  EXPECT_EQ(proxy.blob_requests, 1) << "the redirect itself came from the registry";
}
