// End to end: a Flux Kustomization on an OCIRepository (an artifact pushed to
// the registry of tests/env as `flux push artifact` makes it) declares a
// pipeline that pulls the artifact with the oci source and writes its objects
// with the dir sink — only where the configured pipeline allows declared
// sources. A new artifact under the tag is applied on the next run; one the
// source refuses applies and prunes nothing.
#include <gtest/gtest.h>

#include "source_fixture.hpp"
#include "test_registry.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string config_map(const std::string& name) {
  return "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: " + name + ", namespace: apps}\\ndata: {k: v}\\n";
}

// The flux renderer's default child renderers run on the declared pipeline
// (helmrelease among them): without HelmReleases they leave the dir sink no
// after-apply work it could not do.
void write_config(const TempDir& work, bool allow) {
  write_file(work / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources: [{name: repo, type: path, path: repo}]\n"
             "pipelines:\n  - {name: root, source: repo, path: clusters/prod, allowDeclaredSources: " +
                 std::string(allow ? "true" : "false") + ", renderers: [{type: auto}], sink: {type: dir, path: out}}\n");
}

CommandResult run_once(const TempDir& work) {
  return run_driftless({"--config", (work / "driftless.yaml").string(), "--state-dir", (work / "state").string(),
                        "--plugin-dir", plugin_dir().string(), "run", "--once"});
}

}  // namespace

TEST(FluxOci, AKustomizationOnAnOCIRepositoryIsPulledAndApplied) {
  TestRegistry registry;
  TempDir work;
  const std::string repo = registry.repository("public", "apps");
  TempDir tar;
  registry.push(repo, "latest", make_tarball(tar, "f('deploy/web.yaml', b'" + config_map("web") + "')"));
  write_file(work / "repo/clusters/prod/apps.yaml",
             "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: apps, namespace: flux-system}\n"
             "spec: {interval: 1m, url: \"oci://" + registry.host() + "/" + repo + "\", insecure: true, ref: {tag: latest}}\n"
             "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n"
             "spec: {interval: 1m, path: ./deploy, prune: true, sourceRef: {kind: OCIRepository, name: apps}}\n");

  write_config(work, false);
  auto refused = run_once(work);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("set allowDeclaredSources: true"), std::string::npos) << refused.out << refused.err;

  write_config(work, true);
  auto applied = run_once(work);
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  const fs::path out = work / "out/_pipelines/apps/apps/configmap-web.yaml";
  ASSERT_TRUE(fs::exists(out)) << applied.out << applied.err;
  EXPECT_NE(applied.out.find("root: ok"), std::string::npos) << applied.out;
  EXPECT_NE(applied.out.find("0 objects, 0 changed, 0 unchanged, 1 declared pipeline(s)"), std::string::npos)
      << "a folder of Flux objects is not an empty one:\n" << applied.out;

  // A new artifact under the tag is applied on the next run.
  registry.push(repo, "latest", make_tarball(tar, "f('deploy/db.yaml', b'" + config_map("db") + "')"));
  auto moved = run_once(work);
  ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  EXPECT_TRUE(fs::exists(work / "out/_pipelines/apps/apps/configmap-db.yaml"));
  EXPECT_FALSE(fs::exists(out));

  // An artifact the source refuses applies and prunes nothing.
  registry.push(repo, "latest", make_tarball(tar, "f('../escape.yaml')"));
  auto broken = run_once(work);
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE((broken.out + broken.err).find("entry '../escape.yaml' refused"), std::string::npos) << broken.out << broken.err;
  EXPECT_TRUE(fs::exists(work / "out/_pipelines/apps/apps/configmap-db.yaml"));
}
