// The daemon's HTTP request parsing and access rules, without a network
// (daemon_http_test.cpp has the same against a running daemon).
#include <gtest/gtest.h>

#include <cstdlib>

#include "daemon/api_access.hpp"
#include "daemon/http_server.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::core;

namespace {

HttpLimits small_limits() {
  HttpLimits limits;
  limits.max_head = 256;
  limits.max_body = 16;
  return limits;
}

std::string status_of(const Result<ServedRequest>& parsed) { return parsed.ok() ? "ok" : parsed.error().message.substr(0, 3); }

ServedRequest control_request(std::vector<std::pair<std::string, std::string>> headers) {
  ServedRequest request;
  request.method = "POST";
  request.path = "/api/v1/pipelines/dev/reconcile";
  request.headers = std::move(headers);
  return request;
}

int refusal_status(const ServedRequest& request, const ApiSpec& api) {
  auto refused = refuse_api_request(request, api, true);
  return refused ? refused->status : 0;
}

}  // namespace

TEST(HttpServer, ParsesARequest) {
  auto parsed = parse_http_request("POST /a%20b/c?x=1 HTTP/1.1\r\nHost: h\r\nx-Thing: 1\r\nContent-Length: 2\r\n\r\n{}", small_limits());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->method, "POST");
  EXPECT_EQ(parsed->path, "/a b/c");
  EXPECT_EQ(parsed->header("X-THING"), "1");
  EXPECT_EQ(parsed->body, "{}");
}

TEST(HttpServer, BodiesOverTheLimitAreRefusedChunkedOrNot) {
  const HttpLimits limits = small_limits();
  EXPECT_EQ(status_of(parse_http_request("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", limits)), "413")
      << "refused from the head alone";
  const std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(status_of(parse_http_request(chunked + "10\r\n0123456789abcdef\r\n0\r\n\r\n", limits)), "ok");
  EXPECT_EQ(status_of(parse_http_request(chunked + "10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n", limits)), "413");
  EXPECT_EQ(status_of(parse_http_request(chunked + "fffffffffff\r\n", limits)), "413") << "one huge chunk, announced";
}

TEST(HttpServer, OversizedOrMalformedHeadsAreRefused) {
  const HttpLimits limits = small_limits();
  EXPECT_EQ(status_of(parse_http_request("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", limits)), "431");
  EXPECT_EQ(status_of(parse_http_request("GET / HTTP/1.1\r\nX: a\r\n", limits)), "400");
  EXPECT_EQ(status_of(parse_http_request("GET / HTTP/1.1\r\nbad header\r\n\r\n", limits)), "400");
  EXPECT_EQ(status_of(parse_http_request("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", limits)), "400");
}

TEST(ApiAccess, HostMustNameTheDaemon) {
  ApiSpec api;
  api.allowed_hosts = {"Driftless.Internal"};
  for (const char* host : {"127.0.0.1:9797", "127.0.0.1", "[::1]:9797", "localhost:9797", "10.1.2.3", "driftless.internal:80"})
    EXPECT_TRUE(host_allowed(host, api)) << host;
  for (const char* host : {"", "evil.example:9797", "127.0.0.1.evil.example", "localhost.evil.example", "[::1"})
    EXPECT_FALSE(host_allowed(host, api)) << host;
}

TEST(ApiAccess, TheTokenFileWinsOverTheVariable) {
  test::TempDir dir;
  ApiSpec api;
  api.token_env = "DRIFTLESS_TEST_API_TOKEN";
  ::setenv("DRIFTLESS_TEST_API_TOKEN", "from-env", 1);
  EXPECT_EQ(read_api_token(api), "from-env");
  test::write_file(dir / "token", "from-file\nsecond line\n");
  api.token_file = (dir / "token").string();
  EXPECT_EQ(read_api_token(api), "from-file");
  ::unsetenv("DRIFTLESS_TEST_API_TOKEN");
}

TEST(ApiAccess, MutatingCallsNeedTokenNoOriginAndJson) {
  ApiSpec api;
  api.token_env = "DRIFTLESS_TEST_NO_SUCH_VARIABLE";
  const std::pair<std::string, std::string> host{"Host", "127.0.0.1:9797"}, json{"Content-Type", "application/json; charset=utf-8"},
      bearer{"Authorization", "Bearer t0ken"};
  EXPECT_EQ(refusal_status(control_request({host, json, bearer}), api), 403) << "no token configured";
  ::setenv("DRIFTLESS_TEST_NO_SUCH_VARIABLE", "t0ken", 1);
  EXPECT_EQ(refusal_status(control_request({host, json, bearer}), api), 0);
  EXPECT_EQ(refusal_status(control_request({host, json, {"authorization", "bearer t0ken"}}), api), 0);
  EXPECT_EQ(refusal_status(control_request({host, json, {"Authorization", "Bearer t0ke"}}), api), 401);
  EXPECT_EQ(refusal_status(control_request({host, json}), api), 401);
  EXPECT_EQ(refusal_status(control_request({host, {"Content-Type", "text/plain"}, bearer}), api), 415);
  EXPECT_EQ(refusal_status(control_request({host, json, bearer, {"Origin", "null"}}), api), 403);
  EXPECT_EQ(refusal_status(control_request({host, json, bearer, {"Origin", "http://evil.example"}}), api), 403);
  EXPECT_EQ(refusal_status(control_request({host, json, bearer, {"Origin", "http://127.0.0.1"}}), api), 403)
      << "another port is another origin";
  EXPECT_EQ(refusal_status(control_request({host, json, bearer, {"Origin", "http://127.0.0.1:9797"}}), api), 0)
      << "the daemon's own dashboard";
  EXPECT_EQ(refusal_status(control_request({host, json, {"Origin", "http://127.0.0.1:9797"}}), api), 401)
      << "the dashboard needs the token too";
  EXPECT_EQ(refusal_status(control_request({{"Host", "evil.example"}, json, bearer}), api), 403);
  EXPECT_FALSE(refuse_api_request(control_request({host}), api, false)) << "reading status needs only the Host check";
  ::unsetenv("DRIFTLESS_TEST_NO_SUCH_VARIABLE");
}
