// The metadata check of the core (core/pipeline/metadata_check.cpp) against
// the real kube-apiserver of tests/env: every object it refuses the API
// server refuses, and every object it passes the API server accepts
// (server-side apply, dry run, so nothing is stored).
#include <driftless/http.hpp>
#include <driftless/manifests.hpp>
#include <gtest/gtest.h>

#include "pipeline/metadata_check.hpp"
#include "support.hpp"

namespace driftless {
namespace {

TEST(MetadataCheckApiServer, RefusesExactlyWhatTheApiServerRefuses) {
  auto env = test::test_env();
  ASSERT_FALSE(env["KUBE_APISERVER_URL"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
  HttpClient client(test::apiserver_admin_options(env));

  const std::vector<std::string> cases = {
      "labels: {tier: web}",          "labels: {tier: \"3\"}",        "labels: {tier: 3}",
      "labels: {tier: true}",         "labels: {tier: [a]}",          "labels: {tier: {a: b}}",
      "labels: {tier: }",             "labels: [tier]",               "labels: web",
      "annotations: {skip: \"true\"}", "annotations: {skip: true}",    "annotations: {skip: yes}",
      "annotations: {ratio: 1.5}",    "annotations: {skip: }",        "annotations: {skip: [a]}",
      "annotations: skip",
  };
  int index = 0;
  for (const auto& metadata : cases) {
    const std::string name = "metadata-check-" + std::to_string(index++);
    auto parsed = parse_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name +
                                      "\n  namespace: default\n  " + metadata + "\n",
                                  "case.yaml");
    ASSERT_EQ(parsed.objects.size(), 1u) << metadata;
    const bool passes = core::string_map_problems(parsed.objects[0]).empty();

    HttpRequest apply;
    apply.method = "PATCH";
    apply.url = env["KUBE_APISERVER_URL"] + "/api/v1/namespaces/default/configmaps/" + name +
                "?dryRun=All&fieldManager=driftless-test&force=true";
    apply.headers = {{"Content-Type", "application/apply-patch+yaml"}};
    apply.body = to_json(parsed.objects[0].body);
    auto response = client.send(apply);
    ASSERT_TRUE(response.ok()) << response.error().message;
    const bool accepted = response->status == 200 || response->status == 201;
    EXPECT_EQ(passes, accepted) << metadata << ": the API server answered " << response->status << " "
                                << response->body;
  }
}

}  // namespace
}  // namespace driftless
