// The SDK HTTP client against a real local HTTP(S) server (tests/sdk/http_test_server.py).
#include <driftless/toolkit/http.hpp>
#include <driftless/value.hpp>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "support.hpp"

namespace driftless {
namespace {

using test::TempDir;

// The test server as a child process; killed (by its pid) when the test ends.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> args = {}) {
    int pipe_fds[2];
    EXPECT_EQ(::pipe(pipe_fds), 0);
    std::vector<std::string> argv{"python3", (test::source_dir() / "tests/sdk/http_test_server.py").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], 1);
      ::close(pipe_fds[0]);
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      ::execvp(c[0], c.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    FILE* out = ::fdopen(pipe_fds[0], "r");
    char line[32] = {};
    if (std::fgets(line, sizeof line, out)) port_ = std::atoi(line);
    std::fclose(out);
    EXPECT_GT(port_, 0) << "the test server did not start";
  }
  ~TestServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string url(const std::string& scheme, const std::string& path) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

HttpRequest to(std::string url, std::string method = "GET") {
  HttpRequest request;
  request.url = std::move(url);
  request.method = std::move(method);
  return request;
}

HttpClientOptions trusting(std::string ca_file, std::string ca_pem = {}) {
  HttpClientOptions options;
  options.tls.ca_file = std::move(ca_file);
  options.tls.ca_pem = std::move(ca_pem);
  return options;
}

Value echo_of(const Result<HttpResponse>& response) {
  EXPECT_TRUE(response.ok()) << (response.ok() ? "" : response.error().message);
  auto parsed = parse_json(response->body);
  EXPECT_TRUE(parsed.ok());
  return *parsed;
}

TEST(HttpClient, SendsMethodHeadersBodyAndBearerToken) {
  TestServer server;
  HttpClient client;
  HttpRequest request;
  request.method = "PATCH";
  request.url = server.url("http", "/echo?x=1");
  request.headers = {{"Content-Type", "application/apply-patch+yaml"}};
  request.body = "kind: ConfigMap\n";
  request.bearer_token = "token-123";
  auto response = client.send(request);
  Value echo = echo_of(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(*response->header("content-type"), "application/json");
  EXPECT_EQ(echo.string_or("method"), "PATCH");
  EXPECT_EQ(echo.string_or("path"), "/echo?x=1");
  EXPECT_EQ(echo.string_or("body"), "kind: ConfigMap\n");
  EXPECT_EQ(echo.find("headers")->string_or("authorization"), "Bearer token-123");
  EXPECT_EQ(echo.find("headers")->string_or("content-type"), "application/apply-patch+yaml");
}

TEST(HttpClient, NonSuccessStatusIsAResponseNotAnError) {
  TestServer server;
  HttpClient client;
  auto response = client.send(to(server.url("http", "/status/404")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);
}

TEST(HttpClient, ResponseLargerThanTheCapFails) {
  TestServer server;
  HttpClient client;
  HttpRequest request = to(server.url("http", "/big"));
  request.max_response_bytes = 1000;
  auto response = client.send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::invalid_input);
  EXPECT_NE(response.error().message.find("1000 bytes"), std::string::npos);
}

TEST(HttpClient, StreamDeliversTheBodyInPiecesWithoutTheCap) {
  TestServer server;
  HttpClient client;
  HttpRequest request = to(server.url("http", "/big"));
  request.max_response_bytes = 1000;
  std::size_t total = 0, pieces = 0;
  auto response = client.stream(request, [&](std::string_view piece) {
    total += piece.size();
    ++pieces;
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(total, 1u << 20);
  EXPECT_GT(pieces, 1u);
  EXPECT_TRUE(response->body.empty());
}

TEST(HttpClient, StreamStopsWhenTheReaderSaysSo) {
  TestServer server;
  HttpClient client;
  std::size_t total = 0;
  auto response = client.stream(to(server.url("http", "/big")), [&](std::string_view piece) {
    total += piece.size();
    return false;
  });
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_LT(total, 1u << 20);
}

TEST(HttpClient, TimeoutAndCancellation) {
  TestServer server;
  HttpClient client;
  HttpRequest slow = to(server.url("http", "/slow"));
  slow.timeout = std::chrono::milliseconds(300);
  auto timed_out = client.send(slow);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code, ErrorCode::timeout);

  HttpRequest cancelled = to(server.url("http", "/slow"));
  cancelled.cancelled = [] { return true; };
  auto result = client.send(cancelled);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::cancelled);
}

TEST(HttpClient, SendAllKeepsTheOrderAndCountsRequests) {
  TestServer server;
  HttpClient client;
  std::vector<HttpRequest> requests;
  for (int i = 0; i < 40; ++i) requests.push_back(to(server.url("http", "/echo?i=" + std::to_string(i))));
  requests.push_back(to(server.url("http", "/echo?last"), "DELETE"));
  auto responses = client.send_all(requests, 8);
  ASSERT_EQ(responses.size(), requests.size());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(echo_of(responses[i]).string_or("path"), "/echo?i=" + std::to_string(i));
  EXPECT_EQ(echo_of(responses.back()).string_or("method"), "DELETE");
  auto counts = client.request_counts();
  EXPECT_EQ(counts["GET"], 40u);
  EXPECT_EQ(counts["DELETE"], 1u);
}

TEST(HttpClient, ErrorsNeverShowSecrets) {
  HttpClient client;
  HttpRequest request = to("http://user:hunter2@127.0.0.1:1/path?token=hunter2");
  request.bearer_token = "hunter2";
  request.aws_sigv4 = AwsSigV4{"aws:amz:us-east-1:s3", "AKID", "hunter2"};
  auto response = client.send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::unavailable);
  EXPECT_EQ(response.error().message.find("hunter2"), std::string::npos) << response.error().message;
  EXPECT_NE(response.error().message.find("http://127.0.0.1:1/path"), std::string::npos) << response.error().message;
}

TEST(HttpClient, SignsWithAwsSigV4) {
  TestServer server;
  HttpClient client;
  HttpRequest request = to(server.url("http", "/echo"));
  request.aws_sigv4 = AwsSigV4{"aws:amz:us-east-1:s3", "AKIDEXAMPLE", "secret"};
  Value echo = echo_of(client.send(request));
  const std::string authorization = echo.find("headers")->string_or("authorization");
  EXPECT_EQ(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u) << authorization;
  EXPECT_NE(authorization.find("/us-east-1/s3/aws4_request"), std::string::npos);
  EXPECT_FALSE(echo.find("headers")->string_or("x-amz-date").empty());
}

TEST(HttpClient, RedactUrl) {
  EXPECT_EQ(redact_url("https://u:p@host:1/a/b?token=x#f"), "https://host:1/a/b");
  EXPECT_EQ(redact_url("http://host"), "http://host");
  EXPECT_EQ(url_encode("app=a,b c/é"), "app%3Da%2Cb%20c%2F%C3%A9");
}

TEST(HttpClient, ScpLikeGitAddressesAsSshUrls) {
  EXPECT_EQ(ssh_url_of_scp_like("git@github.com:acme/fleet.git"), "ssh://git@github.com/acme/fleet.git");
  for (const char* not_scp : {"https://github.com/acme/fleet", "ssh://git@github.com/acme/fleet", "github.com:acme/fleet",
                              "@github.com:acme", "/srv/git:fleet", "./a@b:c", "git@github.com"})
    EXPECT_EQ(ssh_url_of_scp_like(not_scp), "") << not_scp;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
struct Pki {
  TempDir dir;
  Pki() {
    auto sh = [&](const std::string& script) {
      auto r = test::run({"sh", "-ec", "cd " + dir.path().string() + " && " + script});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    sh("openssl req -x509 " + ec + " -keyout ca.key -out ca.crt -subj /CN=test-ca -days 2 2>/dev/null");
    sh("openssl req -new " + ec + " -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null");
    sh("printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key "
       "-CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null");
    sh("openssl req -new " + ec + " -keyout client.key -out client.csr -subj /CN=client 2>/dev/null");
    sh("openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt 2>/dev/null");
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
  std::string pem(const std::string& name) const { return test::read_file(dir / name); }
};

TEST(HttpClient, VerifiesTlsUnlessToldByName) {
  Pki pki;
  TestServer server({pki.file("server.crt"), pki.file("server.key")});
  const std::string url = server.url("https", "/echo");

  HttpClient system_store;
  auto refused = system_store.send(to(url));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::unavailable);

  HttpClient with_file(trusting(pki.file("ca.crt")));
  EXPECT_EQ(echo_of(with_file.send(to(url))).string_or("method"), "GET");

  HttpClient with_pem(trusting("", pki.pem("ca.crt")));
  EXPECT_EQ(echo_of(with_pem.send(to(url))).string_or("method"), "GET");

  HttpClientOptions skip;
  skip.tls.insecure_skip_verify = true;
  HttpClient insecure(skip);
  EXPECT_EQ(echo_of(insecure.send(to(url))).string_or("method"), "GET");
}

TEST(HttpClient, PresentsClientCertificatesFromFilesOrPem) {
  Pki pki;
  TestServer server({pki.file("server.crt"), pki.file("server.key"), pki.file("ca.crt")});
  const std::string url = server.url("https", "/echo");

  HttpClient anonymous(trusting(pki.file("ca.crt")));
  EXPECT_FALSE(anonymous.send(to(url)).ok());

  HttpClientOptions with_files = trusting(pki.file("ca.crt"));
  with_files.tls.client_cert_file = pki.file("client.crt");
  with_files.tls.client_key_file = pki.file("client.key");
  HttpClient files(with_files);
  EXPECT_EQ(echo_of(files.send(to(url))).string_or("method"), "GET");

  HttpClientOptions with_pem = trusting("", pki.pem("ca.crt"));
  with_pem.tls.client_cert_pem = pki.pem("client.crt");
  with_pem.tls.client_key_pem = pki.pem("client.key");
  HttpClient pem(with_pem);
  EXPECT_EQ(echo_of(pem.send(to(url))).string_or("method"), "GET");
}

}  // namespace
}  // namespace driftless
