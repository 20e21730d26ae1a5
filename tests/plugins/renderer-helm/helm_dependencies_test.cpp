// Chart dependencies built by the helm renderer, against the real parts: a
// chart repository served over HTTP on loopback, the OCI registry of
// tests/env and the real helm, compared with what `helm dependency build` +
// `helm template` make of a copy of the same repository.
#include <gtest/gtest.h>

#include <thread>

#include "chart_repository.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string block(const std::string& more = "") { return block_with_tool("helmPath", "HELM", more); }

// The chart "app" of the repository: a ConfigMap of its own and the
// dependencies `dependencies` (YAML list items), web's color set to red.
void app_chart(const fs::path& repo, const std::string& dependencies) {
  write_file(repo / "charts/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" + dependencies);
  write_file(repo / "charts/app/values.yaml", "web:\n  color: red\n");
  write_file(repo / "charts/app/templates/own.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-own}\ndata: {chart: {{ .Chart.Name }}}\n");
}

// The objects as JSON without metadata.namespace (the renderer places objects
// in the release namespace; `helm template` leaves that to kubectl).
std::vector<std::string> bodies(const std::vector<KubeObject>& objects) {
  std::vector<std::string> out;
  for (auto object : objects) {
    if (Value* metadata = object.body.as_object().find("metadata"); metadata && metadata->is_object())
      metadata->as_object().erase("namespace");
    out.push_back(to_json(object.body));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What a user gets from the same repository with helm alone: `helm dependency
// build` and `helm template` in a copy (with a Chart.lock, helm wants the
// chart repository added first).
std::vector<std::string> helm_reference(const fs::path& repo, const std::vector<std::string>& build_flags = {},
                                        const std::string& add_repository = "") {
  if (!add_repository.empty()) {
    auto added = helm({"repo", "add", "deps-" + std::to_string(::getpid()), add_repository, "--force-update"});
    EXPECT_EQ(added.exit_code, 0) << added.err;
  }
  TempDir copy;
  fs::copy(repo, copy.path(), fs::copy_options::recursive);
  std::vector<std::string> build{"dependency", "build", (copy / "charts/app").string()};
  build.insert(build.end(), build_flags.begin(), build_flags.end());
  auto built = helm(build);
  EXPECT_EQ(built.exit_code, 0) << built.out << built.err;
  auto templated = helm({"template", "app", (copy / "charts/app").string(), "--namespace", "default", "--include-crds", "--skip-tests"});
  EXPECT_EQ(templated.exit_code, 0) << templated.err;
  return bodies(parse_manifests(templated.out, "reference").objects);
}

std::string data(const Rendered& r, const std::string& id, const std::string& key) {
  for (const auto& object : r.result.objects)
    if (object.id() == id && object.body.at_path({"data", key})) return object.body.at_path({"data", key})->as_string();
  return "(no " + id + " with data." + key + ")";
}

Rendered render_app(const fs::path& repo, const fs::path& state, const std::string& more = "") {
  return render({"helm", block(more), repo, "charts/app", {}, nullptr}, state);
}

class HelmDependencies : public ::testing::Test {
 protected:
  void SetUp() override {
    charts_ = std::make_unique<ChartRepository>();
    charts_->add("web", "0.1.0", {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-web}\n"
                                              "data: {color: {{ .Values.color | quote }}, version: {{ .Chart.Version | quote }}}\n"}},
                 "color: blue\n");
    charts_->add("web", "0.2.0", {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-web}\n"
                                              "data: {color: {{ .Values.color | quote }}, version: {{ .Chart.Version | quote }}}\n"}},
                 "color: blue\n");
  }
  std::unique_ptr<ChartRepository> charts_;
  TempDir repo_;
  TempDir state_;
};

}  // namespace

TEST_F(HelmDependencies, AChartRepositoryDependencyIsBuiltAsHelmBuildsItAndCachedForTheNextRender) {
  app_chart(repo_.path(), "- name: web\n  version: \"~0.1\"\n  repository: " + charts_->url() + "\n");
  auto first = render_app(repo_.path(), state_.path());
  EXPECT_EQ(first.diagnostics(), "");
  EXPECT_EQ(bodies(first.result.objects), helm_reference(repo_.path()));
  EXPECT_EQ(first.ids(), (std::vector<std::string>{"ConfigMap/default/app-web", "ConfigMap/default/app-own"}));
  EXPECT_EQ(data(first, "ConfigMap/default/app-web", "color"), "red");
  EXPECT_EQ(data(first, "ConfigMap/default/app-web", "version"), "0.1.0");  // ~0.1, not 0.2.0
  EXPECT_FALSE(fs::exists(repo_ / "charts/app/charts"));  // the artifact is never written
  EXPECT_FALSE(fs::exists(repo_ / "charts/app/Chart.lock"));
  EXPECT_EQ(first.result.valid_for, std::chrono::minutes(10));  // a version range: resolved again after dependencyRefresh

  charts_.reset();  // the repository is gone: the second render must not need it
  auto second = render_app(repo_.path(), state_.path());
  EXPECT_EQ(second.diagnostics(), "");
  EXPECT_EQ(bodies(second.result.objects), bodies(first.result.objects));
}

TEST_F(HelmDependencies, VersionRangesAreResolvedAgainAfterDependencyRefresh) {
  app_chart(repo_.path(), "- name: web\n  version: \"~0.1\"\n  repository: " + charts_->url() + "\n");
  auto first = render_app(repo_.path(), state_.path(), "dependencyRefresh: 1s");
  EXPECT_EQ(data(first, "ConfigMap/default/app-web", "version"), "0.1.0");
  EXPECT_EQ(first.result.valid_for, std::chrono::seconds(1));
  charts_->add("web", "0.1.1", {{"cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-web}\n"
                                            "data: {version: {{ .Chart.Version | quote }}}\n"}},
               "color: blue\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past dependencyRefresh: the cached build is stale
  auto later = render_app(repo_.path(), state_.path(), "dependencyRefresh: 1s");
  EXPECT_EQ(later.diagnostics(), "");
  EXPECT_EQ(data(later, "ConfigMap/default/app-web", "version"), "0.1.1");
}

TEST_F(HelmDependencies, ALockedChartIsCacheableByItsLock) {
  app_chart(repo_.path(), "- name: web\n  version: \"~0.1\"\n  repository: " + charts_->url() + "\n");
  TempDir copy;
  fs::copy(repo_.path(), copy.path(), fs::copy_options::recursive);
  ASSERT_EQ(helm({"dependency", "update", (copy / "charts/app").string()}).exit_code, 0);
  fs::copy_file(copy / "charts/app/Chart.lock", repo_ / "charts/app/Chart.lock");
  auto locked = render_app(repo_.path(), state_.path());
  EXPECT_EQ(locked.diagnostics(), "");
  EXPECT_EQ(bodies(locked.result.objects), helm_reference(repo_.path(), {}, charts_->url()));
  EXPECT_EQ(locked.result.valid_for, std::chrono::milliseconds(0));
  EXPECT_TRUE(locked.result.cacheable);
}

TEST_F(HelmDependencies, AnOciDependencyIsPulledFromTheRegistry) {
  const auto env = helm_env();
  ASSERT_FALSE(env.at("OCI_REGISTRY").empty()) << "the oci component of tests/env is not up";
  const std::string repository = "public/deps-" + std::to_string(::getpid());
  charts_->push_oci("web", "0.2.0", repository);
  app_chart(repo_.path(), "- name: web\n  version: 0.2.0\n  repository: " + env.at("OCI_REGISTRY_URL") + "/" + repository + "\n");
  auto r = render_app(repo_.path(), state_.path(), "plainHttpRegistries: [\"" + env.at("OCI_REGISTRY") + "\"]");
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(bodies(r.result.objects), helm_reference(repo_.path(), {"--plain-http"}));
  EXPECT_EQ(data(r, "ConfigMap/default/app-web", "version"), "0.2.0");
}

TEST_F(HelmDependencies, AFileDependencyInsideTheRepositoryIsBuiltAndReadForTheRenderCache) {
  write_file(repo_ / "charts/common/Chart.yaml", "apiVersion: v2\nname: common\nversion: 0.3.0\n");
  write_file(repo_ / "charts/common/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: common}\ndata: {v: one}\n");
  app_chart(repo_.path(), "- name: common\n  version: 0.3.0\n  repository: file://../common\n");
  auto r = render_app(repo_.path(), state_.path());
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(bodies(r.result.objects), helm_reference(repo_.path()));
  EXPECT_EQ(r.result.read_folders, (std::vector<std::string>{"charts/app", "charts/common"}));
  EXPECT_TRUE(r.result.cacheable);
  EXPECT_EQ(r.result.valid_for, std::chrono::milliseconds(0));

  // A change of the dependency's folder is a change of the built chart, never a stale cache entry.
  write_file(repo_ / "charts/common/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: common}\ndata: {v: two}\n");
  auto changed = render_app(repo_.path(), state_.path());
  EXPECT_EQ(bodies(changed.result.objects), helm_reference(repo_.path()));
}

TEST_F(HelmDependencies, AnUnreachableOrMissingRepositoryNamesTheChartFileTheDependencyAndTheUrl) {
  app_chart(repo_.path(), "- name: other\n  version: 1.0.0\n  repository: file://../other\n"
                          "- name: web\n  version: 0.1.0\n  repository: http://127.0.0.1:9/charts\n");
  write_file(repo_ / "charts/other/Chart.yaml", "apiVersion: v2\nname: other\nversion: 1.0.0\n");
  auto r = render_app(repo_.path(), state_.path());
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("charts/app/Chart.yaml:8: error: building the chart's dependencies ('web' from "
                                 "http://127.0.0.1:9/charts): helm failed"),
            std::string::npos)
      << r.diagnostics();
  EXPECT_NE(r.diagnostics().find("connection refused"), std::string::npos) << r.diagnostics();

  app_chart(repo_.path(), "- name: web\n  version: 0.1.0\n  repository: " + charts_->url() + "/nothing-here\n");
  auto missing = render_app(repo_.path(), state_.path());
  EXPECT_NE(missing.diagnostics().find("charts/app/Chart.yaml:5: error: building the chart's dependencies ('web' from " +
                                       charts_->url() + "/nothing-here)"),
            std::string::npos)
      << missing.diagnostics();
  EXPECT_NE(missing.diagnostics().find("404"), std::string::npos) << missing.diagnostics();
}

// kube-prometheus-stack takes three dependencies from one chart repository:
// helm reads the repository's index once, not once per dependency.
TEST_F(HelmDependencies, SeveralDependenciesOfOneRepositoryReadItsIndexOnce) {
  app_chart(repo_.path(), "- name: web\n  version: 0.1.0\n  repository: http://127.0.0.1:9/charts\n"
                          "- name: api\n  version: 0.1.0\n  repository: http://127.0.0.1:9/charts\n");
  auto r = render_app(repo_.path(), state_.path());
  EXPECT_NE(r.diagnostics().find("charts/app/Chart.yaml:5: error: building the chart's dependencies ('web' from "
                                 "http://127.0.0.1:9/charts, 'api' from http://127.0.0.1:9/charts): helm failed"),
            std::string::npos)
      << r.diagnostics();
  const std::string index = "http://127.0.0.1:9/charts/index.yaml";
  const std::string text = r.diagnostics();
  EXPECT_EQ(text.find(index), text.rfind(index)) << "the index was fetched more than once:\n" << text;
}

TEST_F(HelmDependencies, ADependencyWithoutRepositoryOrWithBuildingOffIsAnErrorNamingIt) {
  app_chart(repo_.path(), "- name: web\n  version: 0.1.0\n");
  auto none = render_app(repo_.path(), state_.path());
  EXPECT_EQ(none.diagnostics(), "charts/app/Chart.yaml:5: error: dependency 'web' names no repository and is not in charts/: "
                                "add its repository (https://, oci:// or file://) or vendor it\n");
  app_chart(repo_.path(), "- name: web\n  version: 0.1.0\n  repository: " + charts_->url() + "\n");
  auto off = render_app(repo_.path(), state_.path(), "buildDependencies: false");
  EXPECT_EQ(off.diagnostics(), "charts/app/Chart.yaml:5: error: dependency 'web' is not in charts/ and buildDependencies is "
                               "false: vendor it (helm dependency build) or set buildDependencies: true\n");
  app_chart(repo_.path(), "- name: web\n  version: 0.1.0\n  repository: \"@stable\"\n");
  auto alias = render_app(repo_.path(), state_.path());
  EXPECT_NE(alias.diagnostics().find("Chart.yaml:5: error: dependency 'web': repository '@stable' is not an https://"),
            std::string::npos)
      << alias.diagnostics();
}

// ---- hostile repositories

TEST_F(HelmDependencies, AFileDependencyLeavingTheArtifactIsRefusedWithItsLine) {
  TempDir outside;
  write_file(outside / "stolen/Chart.yaml", "apiVersion: v2\nname: stolen\nversion: 0.1.0\n");
  write_file(outside / "stolen/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\n");
  const fs::path repo = outside / "repo";
  app_chart(repo, "- name: stolen\n  version: 0.1.0\n  repository: file://../../../stolen\n");
  auto dots = render_app(repo, state_.path());
  EXPECT_EQ(dots.diagnostics(), "charts/app/Chart.yaml:5: error: dependency 'stolen': repository 'file://../../../stolen' leaves "
                                "the source: a file:// dependency must be a folder of the same repository\n");

  app_chart(repo, "- name: stolen\n  version: 0.1.0\n  repository: file://../link\n");
  fs::create_directory_symlink(outside / "stolen", repo / "charts/link");
  auto link = render_app(repo, state_.path());
  EXPECT_TRUE(link.ids().empty());
  EXPECT_NE(link.diagnostics().find("charts/app/Chart.yaml:5: error: dependency 'stolen': repository 'file://../link': "),
            std::string::npos)
      << link.diagnostics();
  EXPECT_NE(link.diagnostics().find("escapes the artifact"), std::string::npos) << link.diagnostics();

  app_chart(repo, "- name: stolen\n  version: 0.1.0\n  repository: file:///etc\n");
  auto absolute = render_app(repo, state_.path());
  EXPECT_NE(absolute.diagnostics().find("repository 'file:///etc' leaves the source"), std::string::npos) << absolute.diagnostics();
}

TEST_F(HelmDependencies, ADownloadOverMaxDependencySizeIsRefused) {
  app_chart(repo_.path(), "- name: web\n  version: 0.1.0\n  repository: " + charts_->url() + "\n");
  auto r = render_app(repo_.path(), state_.path(), "maxDependencySize: 200");
  EXPECT_TRUE(r.ids().empty());
  EXPECT_NE(r.diagnostics().find("helm tried to write a file over 200 bytes and was refused"), std::string::npos)
      << r.diagnostics();
}
