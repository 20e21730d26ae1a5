// The SDK HTTP client against the real kube-apiserver of tests/env: HTTP/2 over
// TLS with a client certificate, many requests multiplexed concurrently.
#include <driftless/toolkit/http.hpp>
#include <gtest/gtest.h>

#include "support.hpp"

namespace driftless {
namespace {

TEST(HttpClientApiServer, SpeaksHttp2WithClientCertificatesConcurrently) {
  auto env = test::test_env();
  ASSERT_FALSE(env["KUBE_APISERVER_URL"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
  HttpClient client(test::apiserver_admin_options(env));
  HttpRequest get;
  get.url = env["KUBE_APISERVER_URL"] + "/api/v1/namespaces/default";
  std::vector<HttpRequest> requests(200, get);
  auto responses = client.send_all(requests, 32);
  for (const auto& response : responses) {
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->http_version, 2);
  }
  EXPECT_EQ(client.request_counts()["GET"], 200u);
}

}  // namespace
}  // namespace driftless
