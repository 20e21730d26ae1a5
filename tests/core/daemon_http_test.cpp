// The daemon's HTTP port under hostile clients, against a real `driftless run`:
// huge chunked bodies, slow clients, too many connections, control calls from
// web pages, replayed webhooks (docs/security.md, "The HTTP API").
#include <future>

#include "daemon_fixture.hpp"
#include "driftless/toolkit/hash.hpp"

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// Sends `total` bytes of chunked body (1 MiB chunks) after `head`, until the
// server answers or stops reading; returns what it answered.
std::string send_chunked(int port, const std::string& head, std::size_t total) {
  RawConnection connection(port);
  const std::string frame = "100000\r\n" + std::string(kMiB, 'x') + "\r\n";
  bool open = connection.send(head + "Transfer-Encoding: chunked\r\n\r\n");
  for (std::size_t sent = 0; open && sent < total && !connection.answered(); sent += kMiB) open = connection.send(frame);
  if (open && !connection.answered()) connection.send("0\r\n\r\n");
  return connection.receive(30s);
}

std::string post_head(const std::string& path) { return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"; }

std::string control_request(const std::string& action, const std::string& extra_headers,
                            const std::string& content_type = "application/json") {
  return "POST /api/v1/pipelines/dev/" + action + " HTTP/1.1\r\n" + extra_headers + "Content-Type: " + content_type +
         "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
}

int status_of_request(int port, const std::string& request) {
  RawConnection connection(port);
  connection.send(request);
  return RawConnection::status_of(connection.receive());
}

}  // namespace

TEST_F(DaemonTest, HugeChunkedBodiesAreRefusedWhileReadingAndMemoryStaysBounded) {
  write_config("1h", "api: {tokenFile: api-token}\n");
  start();
  const std::size_t peak_before = peak_memory(daemon_->pid());
  ASSERT_GT(peak_before, 0u);
  const std::string before = pipeline("dev").string_or("lastAttempt");
  // Three 500 MiB bodies at once, unsigned, to a webhook and to the control API.
  std::vector<std::future<std::string>> answers;
  for (const std::string path : {"/hooks/github", "/api/v1/pipelines/dev/reconcile", "/hooks/github"})
    answers.push_back(std::async(std::launch::async, [&, path] { return send_chunked(port_, post_head(path), 500 * kMiB); }));
  for (auto& answer : answers) EXPECT_EQ(RawConnection::status_of(answer.get()), 413);
  EXPECT_LT(peak_memory(daemon_->pid()), peak_before + 64 * kMiB) << "peak before: " << peak_before;
  EXPECT_EQ(get("/healthz").first, 200);
  EXPECT_EQ(pipeline("dev").string_or("lastAttempt"), before) << "a refused request has no effect";
}

TEST_F(DaemonTest, ALargeContentLengthIsRefusedBeforeItsBody) {
  start();
  RawConnection connection(port_);
  connection.send(post_head("/hooks/github") + "Content-Length: 524288000\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(connection.receive()), 413);
}

TEST_F(DaemonTest, SlowClientsDoNotStopHealthOrTheApi) {
  start();
  // Each sends the start of a request head and then almost nothing more.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port_));
    slow.back()->send("GET /api/v1/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  }
  EXPECT_EQ(get("/healthz").first, 200);
  EXPECT_EQ(get("/api/v1/pipelines").first, 200);
  EXPECT_EQ(get("/metrics").first, 200);
}

TEST_F(DaemonTest, ARequestHeadTrickledByteByByteIsCutOffAtItsDeadline) {
  start();
  // One header byte every 200 ms never leaves a read idle for long: only a
  // deadline for the whole head (10 s) ends it.
  RawConnection trickle(port_);
  trickle.send("GET /healthz HTTP/1.1\r\n");
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  bool cut_off = false;
  while (!cut_off && std::chrono::steady_clock::now() < give_up) {
    cut_off = !trickle.send("X") || (trickle.answered() && (trickle.receive(100ms), trickle.closed()));
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(cut_off) << "a trickled head was still being read after a minute";
}

TEST_F(DaemonTest, AtTheConnectionCapHealthStillAnswersFromTheReserve) {
  start();
  // 64 connections at most; the last 8 slots serve only /healthz, /readyz and /metrics.
  std::vector<std::unique_ptr<RawConnection>> slow;
  auto hold = [&](int n) {
    for (int i = 0; i < n; ++i) {
      slow.push_back(std::make_unique<RawConnection>(port_));
      slow.back()->send("GET /api/v1/pipelines HTTP/1.1\r\n");
    }
  };
  hold(56);
  EXPECT_EQ(status_of_request(port_, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
  EXPECT_EQ(status_of_request(port_, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
  EXPECT_EQ(status_of_request(port_, "GET /api/v1/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 503);
  hold(8);
  RawConnection beyond(port_);
  beyond.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(beyond.receive(), "") << "beyond the cap a connection is closed unanswered";
  EXPECT_TRUE(beyond.closed());
  slow.clear();
  EXPECT_TRUE(eventually([&] { return get("/api/v1/pipelines").first == 200; }, 10s)) << "slots are free again";
}

TEST_F(DaemonTest, ControlCallsWithoutAConfiguredTokenAreRefused) {
  start();
  const std::string request = control_request("suspend", "Host: 127.0.0.1\r\nAuthorization: Bearer t0ken\r\n");
  EXPECT_EQ(status_of_request(port_, request), 403);
  auto cli = control("suspend");
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("no token is configured"), std::string::npos) << cli.err;
  EXPECT_EQ(pipeline("dev").string_or("state"), "ready");
}

TEST_F(DaemonTest, ControlCallsNeedTheTokenAHostOfTheDaemonNoOriginAndJson) {
  write_config("1h", "api: {tokenFile: api-token, allowedHosts: [driftless.internal]}\n");
  start();
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  const std::string token = "Authorization: Bearer t0ken\r\n";
  EXPECT_EQ(status_of_request(port_, control_request("suspend", host)), 401) << "no token";
  EXPECT_EQ(status_of_request(port_, control_request("suspend", host + "Authorization: Bearer t0kem\r\n")), 401);
  EXPECT_EQ(status_of_request(port_, control_request("suspend", host + "Authorization: Basic dDBrZW4=\r\n")), 401);
  EXPECT_EQ(status_of_request(port_, control_request("suspend", host + token, "text/plain")), 415) << "a form or text body";
  EXPECT_EQ(status_of_request(port_, control_request("suspend", host + token + "Origin: http://evil.example\r\n")), 403);
  EXPECT_EQ(status_of_request(port_, control_request("suspend", "Host: evil.example:80\r\n" + token)), 403) << "DNS rebinding";
  EXPECT_EQ(status_of_request(port_, "GET /api/v1/pipelines HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"), 403);
  EXPECT_EQ(pipeline("dev").string_or("state"), "ready") << "no refused call had an effect";

  EXPECT_EQ(status_of_request(port_, control_request("suspend", "Host: driftless.internal:9797\r\n" + token)), 202);
  EXPECT_EQ(pipeline("dev").string_or("state"), "suspended");
  EXPECT_EQ(control("resume").exit_code, 0) << "the CLI sends the token of the config";
  EXPECT_EQ(pipeline("dev").string_or("state"), "ready");
  auto without_token = run_driftless({"suspend", "dev", "--server", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(without_token.exit_code, 1);
  EXPECT_NE(without_token.err.find("no API token here"), std::string::npos) << without_token.err;
  auto from_env = run_driftless({"suspend", "dev", "--server", "127.0.0.1:" + std::to_string(port_)},
                                {{"DRIFTLESS_API_TOKEN", "t0ken"}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
}

TEST_F(DaemonTest, AWebhookDeliveredTwiceTriggersOnce) {
  write_config("1h");
  start();
  const std::string body = R"({"ref":"refs/heads/main"})";
  const std::string signature = "sha256=" + hmac_sha256_hex("s3cret", body);
  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "two"));
  EXPECT_EQ(post_hook(body, signature, "push", "delivery-1"), 200);
  EXPECT_TRUE(eventually([&] { return applied("dev", "app").find("k: two") != std::string::npos; }, 10s)) << daemon_->output();

  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "three"));
  EXPECT_EQ(post_hook(body, signature, "push", "delivery-1"), 200);
  EXPECT_TRUE(daemon_->wait_for_output("received before", 5s)) << daemon_->output();
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(applied("dev", "app").find("k: two"), std::string::npos) << "the replay triggered a fetch";

  EXPECT_EQ(post_hook(body, signature, "push", "delivery-2"), 200);
  EXPECT_TRUE(eventually([&] { return applied("dev", "app").find("k: three") != std::string::npos; }, 10s));
}
