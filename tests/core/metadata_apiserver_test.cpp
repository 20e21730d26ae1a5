// The metadata check of the core (core/pipeline/metadata_check.cpp) against
// the real kube-apiserver of tests/env: every object it refuses the API
// server refuses, and every object it passes the API server accepts
// (server-side apply, dry run, so nothing is stored).
#include <driftless/toolkit/http.hpp>
#include <driftless/toolkit/yaml.hpp>
#include <gtest/gtest.h>

#include "pipeline/metadata_check.hpp"
#include "support.hpp"

namespace driftless {
namespace {

// A ConfigMap whose metadata holds `metadata` besides its name.
KubeObject config_map(const std::string& name, Value metadata) {
  metadata.as_object().set("name", name);
  metadata.as_object().set("namespace", "default");
  Object body;
  body.set("apiVersion", "v1");
  body.set("kind", "ConfigMap");
  body.set("metadata", std::move(metadata));
  return KubeObject{Value(std::move(body)), {}};
}

// A Deployment whose pod template's metadata holds `metadata` (plus the label its selector needs).
KubeObject deployment(const std::string& name, Value metadata) {
  auto body = parse_json(R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "default"},
      "spec": {"selector": {"matchLabels": {}}, "template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})");
  Value& spec = *body->find("spec");
  spec.find("selector")->find("matchLabels")->as_object().set("app", name);
  if (!metadata.find("labels")) metadata.as_object().set("labels", Object());
  if (Value* labels = metadata.find("labels"); labels->is_object()) labels->as_object().set("app", name);
  spec.find("template")->as_object().set("metadata", std::move(metadata));
  body->find("metadata")->as_object().set("name", name);
  return KubeObject{std::move(*body), {}};
}

TEST(MetadataCheckApiServer, RefusesExactlyWhatTheApiServerRefuses) {
  auto env = test::test_env();
  ASSERT_FALSE(env["KUBE_APISERVER_URL"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
  HttpClient client(test::apiserver_admin_options(env));

  const std::vector<std::string> cases = {
      "labels: {tier: web}",           "labels: {tier: \"3\"}",      "labels: {tier: 3}",
      "labels: {tier: true}",          "labels: {tier: [a]}",        "labels: {tier: {a: b}}",
      "labels: {tier: }",              "labels: [tier]",             "labels: web",
      "annotations: {skip: \"true\"}", "annotations: {skip: true}",  "annotations: {skip: yes}",
      "annotations: {ratio: 1.5}",     "annotations: {skip: }",      "annotations: {skip: [a]}",
      "annotations: skip",
  };
  int index = 0;
  for (const auto& text : cases) {
    const Value metadata = parse_yaml(text, "case.yaml").documents.at(0).value;
    for (bool in_template : {false, true}) {
      const std::string name = "metadata-check-" + std::to_string(index++);
      const KubeObject object = in_template ? deployment(name, metadata) : config_map(name, metadata);
      const bool passes = core::string_map_problems(object).empty();
      HttpRequest apply;
      apply.method = "PATCH";
      apply.url = env["KUBE_APISERVER_URL"] + (in_template ? "/apis/apps/v1/namespaces/default/deployments/"
                                                           : "/api/v1/namespaces/default/configmaps/") +
                  name + "?dryRun=All&fieldManager=driftless-test&force=true";
      apply.headers = {{"Content-Type", "application/apply-patch+yaml"}};
      apply.body = to_json(object.body);
      auto response = client.send(apply);
      ASSERT_TRUE(response.ok()) << response.error().message;
      const bool accepted = response->status == 200 || response->status == 201;
      EXPECT_EQ(passes, accepted) << text << (in_template ? " in a pod template" : "") << ": the API server answered "
                                  << response->status << " " << response->body;
    }
  }
}

}  // namespace
}  // namespace driftless
