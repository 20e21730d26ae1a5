// The substitute renderer: Flux's postBuild substitution on objects of an
// earlier stage. Expected results follow Flux's own tests and docs, cited at
// each case (fluxcd/pkg kustomize/kustomize_varsub_test.go and its testdata,
// fluxcd/flux2 docs "Post build variable substitution").
#include <gtest/gtest.h>

#include "driftless/toolkit/manifests.hpp"
#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

Rendered substitute(const std::string& config, const std::string& manifests) {
  TempDir repo;
  auto input = parse_manifests(manifests, "apps/app.yaml");
  EXPECT_FALSE(has_errors(input.diagnostics));
  return render({"substitute", config, repo.path(), "apps", std::move(input.objects), nullptr});
}

// fluxcd/pkg kustomize/testdata/resources (the Deployment) and
// kustomization_varsub_expected.yaml: labels substituted, defaults used.
constexpr const char* kFluxDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: apps
  labels:
    environment: ${cluster_env:=dev}
    region: "${cluster_region}"
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels: {app: app}
      annotations: {prometheus.io/port: "${prometheus_port:=9797}"}
    spec:
      containers:
      - name: nginx
        image: "nginx:${version}"
        env:
        - {name: PORT, value: "${port}"}
)";

// The ConfigMap of that testdata, labelled to be skipped.
constexpr const char* kDisabledConfigMap = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: app-vars
  namespace: apps
  labels:
    environment: ${cluster_env:=dev}
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  image: ${image}
)";

}  // namespace

TEST(SubstituteRenderer, SubstitutesAsFluxsVarsubTestdata) {
  auto r = substitute("{variables: {cluster_env: prod, cluster_region: eu-central-1, replicas: '3', version: 1.21.4, port: '8080'}}",
                      std::string(kFluxDeployment) + "---\n" + kDisabledConfigMap);
  ASSERT_EQ(r.diagnostics(), "");
  ASSERT_EQ(r.result.objects.size(), 2u);
  const Value& deployment = r.result.objects[0].body;
  EXPECT_EQ(*deployment.at_path({"metadata", "labels", "environment"}), Value("prod"));
  EXPECT_EQ(*deployment.at_path({"metadata", "labels", "region"}), Value("eu-central-1"));
  EXPECT_EQ(*deployment.at_path({"spec", "template", "metadata", "annotations", "prometheus.io/port"}), Value("9797"));
  EXPECT_EQ(deployment.at_path({"spec", "template", "spec", "containers"})->as_array()[0].string_or("image"), "nginx:1.21.4");
  // Flux re-reads the substituted YAML: `replicas: ${replicas}` is the number 3
  EXPECT_EQ(*deployment.at_path({"spec", "replicas"}), Value(std::int64_t{3}));
  // an env value stays a string (Kubernetes takes only strings there)
  EXPECT_EQ(*deployment.at_path({"spec", "template", "spec", "containers"})->as_array()[0].find("env")->as_array()[0].find("value"),
            Value("8080"));
  // the disabled ConfigMap is left as written (kustomization_varsub_expected.yaml)
  EXPECT_EQ(r.result.objects[1].body, parse_manifests(kDisabledConfigMap, "x").objects[0].body);
}

// A substituted scalar becomes a number or boolean when it reads as one
// unquoted; one that would change its spelling stays a string, and so does
// every value where the API takes only strings (ConfigMap data, labels).
TEST(SubstituteRenderer, ResultsAreTypedAsFluxReadsThemBackUnlessOnlyStringsFit) {
  auto r = substitute("{variables: {count: '5', flag: 'true', tag: '1.10', port: '8080', octal: '0123'}}", R"(apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: apps}
spec:
  values:
    replicaCount: ${count}
    enabled: ${flag}
    image: {tag: "${tag}"}
    mode: ${octal}
    label: release-${count}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps, labels: {replicas: "${count}"}}
data:
  port: "${port}"
  url: https://example.com:${port}/api?ref=$${ref}
)");
  ASSERT_EQ(r.diagnostics(), "");
  const Value& values = *r.result.objects[0].body.at_path({"spec", "values"});
  EXPECT_EQ(*values.find("replicaCount"), Value(std::int64_t{5}));
  EXPECT_EQ(*values.find("enabled"), Value(true));
  EXPECT_EQ(*values.at_path({"image", "tag"}), Value("1.10"));
  EXPECT_EQ(*values.find("mode"), Value("0123"));
  EXPECT_EQ(*values.find("label"), Value("release-5"));
  const Value& config = r.result.objects[1].body;
  EXPECT_EQ(*config.at_path({"data", "port"}), Value("8080"));
  EXPECT_EQ(*config.at_path({"metadata", "labels", "replicas"}), Value("5"));
  EXPECT_EQ(*config.at_path({"data", "url"}), Value("https://example.com:8080/api?ref=${ref}"));
}

// kustomize_varsub_test.go "disabled: default values are not substituted" /
// "enabled: ...": without variables nothing is substituted unless the
// strategy is Always.
TEST(SubstituteRenderer, WithoutVariablesOnlyTheAlwaysStrategySubstitutes) {
  auto untouched = substitute("{}", kFluxDeployment);
  ASSERT_EQ(untouched.diagnostics(), "");
  EXPECT_EQ(*untouched.result.objects[0].body.at_path({"metadata", "labels", "environment"}), Value("${cluster_env:=dev}"));
  auto always = substitute("{substituteStrategy: Always}", kFluxDeployment);
  ASSERT_EQ(always.diagnostics(), "");
  EXPECT_EQ(*always.result.objects[0].body.at_path({"metadata", "labels", "environment"}), Value("dev"));
  EXPECT_EQ(*always.result.objects[0].body.at_path({"metadata", "labels", "region"}), Value(""));
}

// fluxcd/pkg kustomize/testdata/varsubstrict/config.yaml: `missing: ${missing}`
// fails under StrictPostBuildSubstitutions.
TEST(SubstituteRenderer, StrictModeNamesTheVariableTheObjectAndTheFile) {
  const std::string manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-vars-strict\n  namespace: apps\n"
                               "  labels: {environment: '${cluster_env:=dev}'}\ndata:\n  missing: ${missing}\n";
  auto r = substitute("{variables: {cluster_region: eu}, strict: true}", "---\n" + manifest);
  ASSERT_EQ(r.result.diagnostics.size(), 1u) << r.diagnostics();
  const Diagnostic& d = r.result.diagnostics[0];
  EXPECT_EQ(d.severity, Severity::error);
  EXPECT_EQ(d.message, "variable substitution failed: variable not set (strict mode): \"missing\"");
  EXPECT_EQ(d.file, "apps/app.yaml");
  EXPECT_EQ(d.line, 2);
  EXPECT_EQ(d.object, "ConfigMap/apps/app-vars-strict");
  auto lenient = substitute("{variables: {cluster_region: eu}}", manifest);
  ASSERT_EQ(lenient.diagnostics(), "");
  EXPECT_EQ(*lenient.result.objects[0].body.at_path({"data", "missing"}), Value(""));
}

// A shell script in a ConfigMap with bash's ${VAR-default}: Flux refuses the
// object ("missing closing brace"); `$${VAR-default}` is the escape.
TEST(SubstituteRenderer, AMalformedExpressionFailsItsObjectAndEscapingFixesIt) {
  const std::string script = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: script}\ndata:\n  run.sh: |\n    echo ${HOME-/root}\n";
  auto r = substitute("{variables: {x: y}}", script);
  EXPECT_NE(r.diagnostics().find("apps/app.yaml:1: error: variable substitution failed: missing closing brace (ConfigMap/script)"),
            std::string::npos) << r.diagnostics();
  auto escaped = substitute("{variables: {x: y}}", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: script}\ndata:\n  run.sh: |\n    echo $${HOME-/root}\n");
  ASSERT_EQ(escaped.diagnostics(), "");
  EXPECT_EQ(*escaped.result.objects[0].body.at_path({"data", "run.sh"}), Value("echo ${HOME-/root}\n"));
}

TEST(SubstituteRenderer, VariableNamesAreCheckedAndNewlinesRemovedAsFluxDoes) {
  auto bad = substitute("{variables: {'1st': x}}", kDisabledConfigMap);
  EXPECT_NE(bad.config_error.find("'1st' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"), std::string::npos)
      << bad.config_error;
  auto r = substitute("{variables: {name: \"a\\nb\"}}", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '${name}'}\n");
  ASSERT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.result.objects[0].name(), "ab");
}

TEST(SubstituteRenderer, AVariableUsedManyTimesCannotExhaustMemory) {
  std::string data;
  for (int i = 0; i < 200; ++i) data += "  k" + std::to_string(i) + ": ${big}\n";
  auto r = substitute("{variables: {big: '" + std::string(100000, 'x') + "'}, maxOutputSize: 1000000}",
                      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + data);
  EXPECT_NE(r.diagnostics().find("substitution produces more than"), std::string::npos) << r.diagnostics().substr(0, 300);
}
