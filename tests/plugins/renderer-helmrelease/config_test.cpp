// The helmrelease renderer's place in a pipeline, checked by `driftless
// validate` before anything runs: its releases go to the kube sink's cluster
// with the sink's identity, so it has no cluster keys of its own and needs a
// sink with a Kubernetes target.
#include <gtest/gtest.h>

#include <algorithm>

#include "support.hpp"

using namespace driftless::test;

namespace {

// `driftless validate` of a config with one pipeline: yaml + helmrelease (with `helmrelease_keys`), then `sink`.
CommandResult validate(const TempDir& dir, const std::string& helmrelease_keys, const std::string& sink) {
  write_file(dir / "driftless.yaml",
             "apiVersion: driftless.dev/v1alpha1\nkind: Config\nsources:\n  - {name: repo, type: path, path: .}\npipelines:\n"
             "  - name: prod\n    source: repo\n    renderers:\n      - {type: yaml}\n      - type: helmrelease\n" +
                 helmrelease_keys + "    sink: " + sink + "\n");
  return run_driftless({"--config", (dir / "driftless.yaml").string(), "--plugin-dir", plugin_dir().string(), "validate"});
}

long errors(const std::string& text) {
  long n = 0;
  for (auto at = text.find(": error: "); at != std::string::npos; at = text.find(": error: ", at + 1)) ++n;
  return n;
}

TEST(HelmReleaseConfig, TheRemovedKubeconfigAndContextKeysAreOneErrorEachSayingWhereTheyWent) {
  TempDir dir;
  auto r = validate(dir, "        kubeconfig: /etc/driftless/kubeconfig\n        context: prod\n", "{type: kube}");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string where = "releases are installed on the pipeline's kube sink's cluster with its kubeconfig, context and "
                            "impersonate keys; set them on the sink";
  EXPECT_NE(r.err.find("driftless.yaml:11:9: error: 'kubeconfig' is no longer a key of the renderer 'helmrelease' of pipeline "
                       "'prod': " + where),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("driftless.yaml:12:9: error: 'context' is no longer a key of the renderer 'helmrelease' of pipeline "
                       "'prod': " + where),
            std::string::npos) << r.err;
  EXPECT_EQ(errors(r.err), 2) << r.err;
}

TEST(HelmReleaseConfig, APipelineWhoseSinkHasNoKubernetesTargetIsRefused) {
  TempDir dir;
  auto r = validate(dir, "", "{type: dir, path: out}");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("driftless.yaml:10:9: error: pipeline 'prod': renderer 'helmrelease' works on the sink's 'kubernetes' "
                       "target after apply, but sink 'dir' gives after-apply work no target; use a sink whose target is "
                       "'kubernetes' (for 'kubernetes': type: kube)"),
            std::string::npos) << r.err;
  EXPECT_EQ(errors(r.err), 1) << r.err;

  auto kube = validate(dir, "", "{type: kube}");
  EXPECT_EQ(kube.exit_code, 0) << kube.out << kube.err;
}

// Each key is read by the one declaration that fills its setting: a bad value is an error naming that key.
TEST(HelmReleaseConfig, ABadValueIsAnErrorNamingItsKey) {
  TempDir dir;
  for (const auto& [keys, said] : std::vector<std::pair<std::string, std::string>>{
           {"        concurrency: 0\n", "concurrency must be positive"},
           {"        maxChartSize: 0\n", "maxChartSize must be positive"},
           {"        maxMemory: -1\n", "maxMemory must be positive"},
           {"        plainHttpRegistries: [registry.example.com:5000]\n",
            "plainHttpRegistries: registry.example.com:5000 is not on this machine"}}) {
    auto r = validate(dir, keys, "{type: kube}");
    EXPECT_EQ(r.exit_code, 1) << keys << r.out << r.err;
    EXPECT_NE(r.err.find(said), std::string::npos) << keys << r.err;
  }
  auto fine = validate(dir, "        maxMemory: 1000000000\n        plainHttpRegistries: [127.0.0.1:5000]\n", "{type: kube}");
  EXPECT_EQ(fine.exit_code, 0) << fine.out << fine.err;
}

}  // namespace
