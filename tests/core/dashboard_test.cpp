// The dashboard's side of the daemon: its files, the fleet query, the
// pipeline detail and the live events (Server-Sent Events), against a real
// `driftless run` (daemon_fixture.hpp); the browser tests are in tests/e2e/dashboard.
#include "daemon/dashboard.hpp"
#include "daemon/event_hub.hpp"
#include "daemon_fixture.hpp"

using driftless::core::EventHub;
using driftless::core::FleetQuery;
using driftless::core::forge_commit_link;
using driftless::core::PipelineStatus;
using driftless::core::ServedRequest;

namespace {

std::string http_get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

}  // namespace

TEST(Dashboard, ForgeLinksOnlyForKnownForges) {
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_EQ(forge_commit_link("https://github.com/acme/fleet.git", sha), "https://github.com/acme/fleet/commit/" + sha);
  EXPECT_EQ(forge_commit_link("git@github.com:acme/fleet.git", sha), "https://github.com/acme/fleet/commit/" + sha);
  EXPECT_EQ(forge_commit_link("ssh://git@gitlab.com/acme/sub/fleet", sha), "https://gitlab.com/acme/sub/fleet/-/commit/" + sha);
  EXPECT_EQ(forge_commit_link("https://codeberg.org/acme/fleet/", sha), "https://codeberg.org/acme/fleet/commit/" + sha);
  EXPECT_EQ(forge_commit_link("https://bitbucket.org/acme/fleet.git", sha), "https://bitbucket.org/acme/fleet/commits/" + sha);
  EXPECT_EQ(forge_commit_link("git://127.0.0.1:9418/fleet.git", sha), "") << "not a known forge";
  EXPECT_EQ(forge_commit_link("https://github.com/acme/fleet", "main\"><script>"), "") << "not a commit id";
  EXPECT_EQ(forge_commit_link("https://github.com/acme/fl\"eet", sha), "");
}

TEST(Dashboard, QueryParametersAreDecoded) {
  ServedRequest request;
  request.query = "name=web%2Fprod&state=ready&x&label=a+b";
  EXPECT_EQ(request.param("name"), "web/prod");
  EXPECT_EQ(request.param("state"), "ready");
  EXPECT_EQ(request.param("label"), "a b");
  EXPECT_EQ(request.param("x"), "");
  EXPECT_EQ(request.param("missing"), "");
}

TEST(Dashboard, TheFleetIsFilteredByClusterAndByEveryLabelAsked) {
  PipelineStatus web;
  web.name = "web-prod";
  web.cluster = "prod";
  web.labels = {{"team", "web"}, {"example.com/tier", "front=end"}};
  PipelineStatus bare;
  bare.name = "bare";
  bare.cluster = "staging";
  auto query = [](const std::string& text) {
    ServedRequest request;
    request.query = text;
    return FleetQuery::from(request);
  };
  EXPECT_EQ(query("label=team%3Dweb&label=example.com%2Ftier").labels,
            (std::vector<std::string>{"team=web", "example.com/tier"}));
  EXPECT_TRUE(matches(web, query("")));
  EXPECT_TRUE(matches(web, query("label=&cluster="))) << "an empty filter asks for nothing";
  EXPECT_TRUE(matches(web, query("cluster=prod")));
  EXPECT_FALSE(matches(web, query("cluster=pro"))) << "a cluster matches exactly";
  EXPECT_TRUE(matches(web, query("label=team=web")));
  EXPECT_TRUE(matches(web, query("label=team")));
  EXPECT_TRUE(matches(web, query("label=example.com/tier=front%3Dend"))) << "a value may hold '='";
  EXPECT_FALSE(matches(web, query("label=team=db")));
  EXPECT_FALSE(matches(web, query("label=team=")));
  EXPECT_FALSE(matches(web, query("label=owner")));
  EXPECT_TRUE(matches(web, query("label=team=web&label=example.com/tier&cluster=prod&name=PROD")));
  EXPECT_FALSE(matches(web, query("label=team=web&label=owner"))) << "every label must match";
  EXPECT_FALSE(matches(bare, query("label=team")));
  EXPECT_TRUE(matches(bare, query("cluster=staging")));
}

TEST(Dashboard, EventStreamsAreCappedAndASlowOneIsDropped) {
  EventHub hub(2, 100, std::chrono::milliseconds(50));
  auto a = hub.subscribe("event: hello\ndata: {}\n\n");
  auto b = hub.subscribe("");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(hub.subscribe(""), nullptr) << "only two streams";
  EXPECT_EQ(*a->take(), "event: hello\ndata: {}\n\n");
  hub.publish("pipeline", "{\"name\":\"x\"}");
  EXPECT_EQ(*a->take(), "event: pipeline\ndata: {\"name\":\"x\"}\n\n");
  // b never reads: past 100 bytes waiting it is ended, not buffered for.
  for (int i = 0; i < 5; ++i) {
    hub.publish("pipeline", std::string(30, 'x'));
    EXPECT_TRUE(a->take().has_value()) << "a reader that keeps up stays";
  }
  EXPECT_FALSE(b->take().has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(*a->take(), ": keep-alive\n\n");
  b.reset();
  EXPECT_EQ(hub.streams(), 1u);
  EXPECT_NE(hub.subscribe(""), nullptr) << "a closed stream frees its place";
}

TEST_F(DaemonTest, TheDashboardIsServedFromTheBinaryWithAStrictPolicy) {
  start();
  auto res = client_->Get("/ui/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res->body.find("<script type=\"module\" src=\"app.js\">"), std::string::npos);
  const std::string csp = res->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  auto js = client_->Get("/ui/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  auto again = client_->Get("/ui/app.js", {{"If-None-Match", js->get_header_value("ETag")}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(get("/ui/nothing.js").first, 404);
  EXPECT_EQ(get("/ui/../driftless.yaml").first, 404);
  RawConnection rebinding(port_);
  rebinding.send("GET /ui/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(rebinding.receive()), 403);
}

TEST_F(DaemonTest, TheFleetIsFilteredByTheDaemonAndCountedPerState) {
  write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("app", "prod"));
  write_file(dir_ / "repo/clusters/broken/app.yaml", "kind: [\n");
  start();
  auto all = parse_json(get("/api/v1/pipelines").second);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->find("pipelines")->as_array().size(), 3u);
  EXPECT_EQ(all->find("total")->as_int(), 3);
  EXPECT_EQ(all->find("counts")->find("ready")->as_int(), 2);
  EXPECT_EQ(all->find("counts")->find("failed")->as_int(), 1);
  auto ready = parse_json(get("/api/v1/pipelines?state=ready&name=PR").second);
  ASSERT_TRUE(ready.ok());
  ASSERT_EQ(ready->find("pipelines")->as_array().size(), 1u);
  EXPECT_EQ(ready->find("pipelines")->as_array()[0].string_or("name"), "prod");
  EXPECT_EQ(ready->find("total")->as_int(), 3) << "counts and total are the fleet's, not the filter's";
  auto failed = parse_json(get("/api/v1/pipelines?state=failed").second);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->find("pipelines")->as_array().size(), 1u);
  EXPECT_EQ(failed->find("pipelines")->as_array()[0].string_or("name"), "broken");
}

// Labels from the config ({{folder}} filled in) and the dir sink's folder as
// the cluster: in every pipeline's JSON and as filters of the daemon.
TEST_F(DaemonTest, TheFleetIsFilteredByLabelAndClusterOverHttp) {
  write_config("1h", "", "labels: {team: \"{{folder}}\", example.com/tier: web}, ");
  write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("app", "prod"));
  start();
  auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    auto parsed = parse_json(get("/api/v1/pipelines" + query).second);
    if (!parsed.ok()) return out;
    for (const auto& p : parsed->find("pipelines")->as_array()) out.push_back(p.string_or("name"));
    return out;
  };
  using Names = std::vector<std::string>;
  const Value prod = pipeline("prod");
  ASSERT_TRUE(prod.is_object());
  EXPECT_EQ(to_json(*prod.find("labels")), R"({"example.com/tier":"web","team":"prod"})");
  EXPECT_EQ(prod.string_or("cluster"), (dir_ / "out/prod").string());
  EXPECT_EQ(names("?label=team%3Dprod"), Names{"prod"});
  EXPECT_EQ(names("?label=example.com%2Ftier%3Dweb"), (Names{"dev", "prod"}));
  EXPECT_EQ(names("?label=example.com/tier=web&label=team=dev"), Names{"dev"});
  EXPECT_EQ(names("?label=team"), (Names{"dev", "prod"}));
  EXPECT_EQ(names("?label=owner"), Names{});
  EXPECT_EQ(names("?cluster=" + (dir_ / "out/dev").string()), Names{"dev"});
  EXPECT_EQ(names("?cluster=" + dir_.path().string()), Names{}) << "a cluster matches exactly";
  EXPECT_EQ(names("?cluster=" + (dir_ / "out/dev").string() + "&label=team=prod"), Names{});
  const CommandResult status = run_driftless({"status", "--server", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_NE(status.out.find("CLUSTER"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find((dir_ / "out/prod").string()), std::string::npos) << status.out;
}

TEST_F(DaemonTest, APipelinesDetailHasItsRecentReconcilesFromTheAuditLog) {
  write_config("1s");
  start();
  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "two"));
  ASSERT_TRUE(eventually([&] { return applied("dev", "app").find("k: two") != std::string::npos; }, 20s)) << daemon_->output();
  std::pair<int, std::string> detail;
  ASSERT_TRUE(eventually([&] {
    detail = get("/api/v1/pipelines/dev");
    auto parsed = parse_json(detail.second);
    return parsed.ok() && parsed->find("runs") && parsed->find("runs")->as_array().size() >= 2;
  }, 20s)) << detail.second;
  auto parsed = parse_json(detail.second);
  EXPECT_EQ(parsed->find("pipeline")->string_or("name"), "dev");
  const auto& runs = parsed->find("runs")->as_array();
  EXPECT_EQ(runs.back().string_or("result"), "success");
  EXPECT_EQ(runs.back().string_or("pipeline"), "dev");
  EXPECT_TRUE(parsed->find("drift")->is_array());
  EXPECT_EQ(get("/api/v1/pipelines/nope").first, 404);

  auto objects = parse_json(get("/api/v1/pipelines/dev/objects").second);
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->string_or("revision"), parsed->find("pipeline")->string_or("revision"));
  const auto& list = objects->find("objects")->as_array();
  ASSERT_EQ(list.size(), 1u) << to_json(*objects);
  EXPECT_EQ(list[0].string_or("id"), "ConfigMap/apps/app");
  EXPECT_EQ(list[0].string_or("namespace"), "apps");
  EXPECT_EQ(list[0].string_or("action"), "unchanged");
  EXPECT_EQ(get("/api/v1/pipelines/nope/objects").first, 404);
}

TEST_F(DaemonTest, DashboardActionsAreOfferedOnlyWithAToken) {
  start();
  EXPECT_EQ(get("/api/v1/dashboard").second, "{\"actions\":false}\n");
  EXPECT_EQ(get("/").first, 302);
  daemon_.reset();
  write_config("1h", "api: {tokenFile: api-token}\n");
  start();
  EXPECT_EQ(get("/api/v1/dashboard").second, "{\"actions\":true}\n");
  // The dashboard's own page may act (same origin, with the token); no other page may.
  const std::string body = "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
  const std::string head = "POST /api/v1/pipelines/dev/reconcile HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  const std::string own = "Origin: http://127.0.0.1:" + std::to_string(port_) + "\r\n";
  RawConnection with_token(port_), without_token(port_), elsewhere(port_);
  with_token.send(head + own + "Authorization: Bearer t0ken\r\n" + body);
  without_token.send(head + own + body);
  elsewhere.send(head + "Origin: http://evil.example\r\nAuthorization: Bearer t0ken\r\n" + body);
  EXPECT_EQ(RawConnection::status_of(with_token.receive()), 202);
  EXPECT_EQ(RawConnection::status_of(without_token.receive()), 401);
  EXPECT_EQ(RawConnection::status_of(elsewhere.receive()), 403);
}

TEST_F(DaemonTest, LiveEventsCarryANewRevisionAndStreamsAreCapped) {
  write_config("1s");
  start();
  RawConnection events(port_);
  events.send(http_get("/api/v1/events"));
  std::string received = events.receive(2s);
  EXPECT_EQ(RawConnection::status_of(received), 200);
  EXPECT_NE(received.find("Content-Type: text/event-stream"), std::string::npos) << received;
  EXPECT_NE(received.find("event: hello\n"), std::string::npos) << received;
  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "live"));
  ASSERT_TRUE(eventually([&] { return applied("dev", "app").find("k: live") != std::string::npos; }, 20s));
  const std::string revision = pipeline("dev").string_or("revision");
  ASSERT_TRUE(eventually([&] {
    received += events.receive(200ms);
    return received.find("\"revision\":\"" + revision + "\"") != std::string::npos;
  }, 10s)) << received;
  EXPECT_NE(received.find("event: pipeline\ndata: {"), std::string::npos);
  EXPECT_FALSE(events.closed());

  // 32 streams at most (one is open above); the next is refused, and health still answers.
  std::vector<std::unique_ptr<RawConnection>> more;
  for (int i = 0; i < 31; ++i) {
    more.push_back(std::make_unique<RawConnection>(port_));
    more.back()->send(http_get("/api/v1/events"));
    EXPECT_EQ(RawConnection::status_of(more.back()->receive(1s)), 200) << i;
  }
  RawConnection refused(port_);
  refused.send(http_get("/api/v1/events", "Connection: close\r\n"));
  EXPECT_EQ(RawConnection::status_of(refused.receive()), 503);
  EXPECT_EQ(get("/healthz").first, 200);
  more.clear();
  ASSERT_TRUE(eventually([&] {
    RawConnection again(port_);
    again.send(http_get("/api/v1/events"));
    return RawConnection::status_of(again.receive(500ms)) == 200;
  }, 10s)) << "closed streams free their places";
}
