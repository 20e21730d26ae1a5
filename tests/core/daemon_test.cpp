// `driftless run` as a process: scheduling, the HTTP API, webhooks, signals,
// folders appearing and disappearing, and failures that keep the last state.
#include <csignal>

#include "daemon_fixture.hpp"
#include "driftless/toolkit/hash.hpp"

TEST_F(DaemonTest, AppliesAtStartAndServesStatusAndMetrics) {
  start();
  EXPECT_NE(applied("dev", "app").find("k: one"), std::string::npos);
  EXPECT_EQ(get("/healthz").first, 200);
  Value dev = pipeline("dev");
  EXPECT_EQ(dev.string_or("state"), "ready");
  EXPECT_EQ(dev.string_or("revision").rfind("sha256:", 0), 0u);
  auto metrics = get("/metrics").second;
  EXPECT_NE(metrics.find("driftless_reconcile_duration_seconds_bucket{pipeline=\"dev\""), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("driftless_pipeline_info{pipeline=\"dev\",revision=\"sha256:"), std::string::npos);
  EXPECT_NE(metrics.find("driftless_source_fetch_duration_seconds_count{source=\"repo\"} 1"), std::string::npos);
  auto status = run_driftless({"status", "--server", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("dev       ready"), std::string::npos) << status.out;
  // One audit line per reconcile, answering who/what/when.
  const std::string audit = read_file(dir_ / "state/audit.log");
  auto line = parse_json(audit.substr(0, audit.find('\n')));
  ASSERT_TRUE(line.ok()) << audit;
  EXPECT_EQ(line->string_or("pipeline"), "dev");
  EXPECT_EQ(line->find("created")->as_int(), 1);
  EXPECT_EQ(line->string_or("result"), "success");
}

TEST_F(DaemonTest, SignedWebhookTriggersAFetchAndBadOnesChangeNothing) {
  start();
  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "two"));
  const std::string body = R"({"ref":"refs/heads/main"})";
  EXPECT_EQ(post_hook(body, "sha256=" + hmac_sha256_hex("wrong", body)), 401);
  EXPECT_EQ(post_hook(std::string(2 * 1024 * 1024, 'x'), "sha256=0"), 413);
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(applied("dev", "app").find("k: one"), std::string::npos) << "a refused webhook must have no effect";

  EXPECT_EQ(post_hook(body, "sha256=" + hmac_sha256_hex("s3cret", body)), 200);
  EXPECT_TRUE(eventually([&] { return applied("dev", "app").find("k: two") != std::string::npos; }, 10s)) << daemon_->output();
}

TEST_F(DaemonTest, NewRevisionIsAppliedWithinTheInterval) {
  write_config("1s");
  start();
  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "three"));
  EXPECT_TRUE(eventually([&] { return applied("dev", "app").find("k: three") != std::string::npos; }, 10s));
}

TEST_F(DaemonTest, FoldersAppearAndDisappearAsPipelines) {
  write_config("1s");
  start();
  write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("app", "prod"));
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("state") == "ready"; }, 10s)) << daemon_->output();
  fs::remove_all(dir_ / "repo/clusters/prod");
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("state") == "removed"; }, 10s)) << daemon_->output();
  EXPECT_TRUE(daemon_->wait_for_output("pipeline removed", 5s));
  // Without pruneOnFolderRemoval the objects of a removed folder stay, and the status says so.
  EXPECT_NE(pipeline("prod").string_or("message").find("left in place"), std::string::npos) << pipeline("prod").string_or("message");
  EXPECT_TRUE(fs::exists(dir_ / "out/prod/apps/configmap-app.yaml"));
  auto status = run_driftless({"status", "--server", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_NE(status.out.find("clusters/prod is no longer in source 'repo'"), std::string::npos) << status.out;

  write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("app", "back"));
  EXPECT_TRUE(eventually([&] { return applied("prod", "app").find("k: back") != std::string::npos; }, 10s));
  // The sink writes the file before the run ends and the state says so.
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("state") == "ready"; }, 10s)) << daemon_->output();
}

TEST_F(DaemonTest, ACommitTouchingOneFolderRendersOnlyThatFolder) {
  write_config("1s", "", "interval: 1h, ");  // the source is polled every second, pipelines only on new revisions
  write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("app", "prod"));
  start();
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("state") == "ready"; }, 10s));
  write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "changed"));
  EXPECT_TRUE(eventually([&] { return applied("dev", "app").find("k: changed") != std::string::npos; }, 10s));
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("revision") == pipeline("dev").string_or("revision"); }, 10s))
      << "an untouched pipeline is at the new revision too";
  const std::string metrics = get("/metrics").second;
  EXPECT_NE(metrics.find("driftless_renders_total{pipeline=\"dev\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("driftless_renders_total{pipeline=\"prod\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("driftless_reconciles_total{pipeline=\"prod\",result=\"success\"} 1"), std::string::npos)
      << "the new revision needs no reconcile of prod: " << metrics;
}

TEST_F(DaemonTest, RemovedFolderIsPrunedWhenTheConfigSaysSo) {
  write_config("1s", "", "pruneOnFolderRemoval: true, ");
  write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("app", "prod"));
  start();
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("state") == "ready"; }, 10s)) << daemon_->output();
  ASSERT_TRUE(fs::exists(dir_ / "out/prod/apps/configmap-app.yaml"));
  fs::remove_all(dir_ / "repo/clusters/prod");
  EXPECT_TRUE(eventually([&] { return !fs::exists(dir_ / "out/prod/apps/configmap-app.yaml"); }, 10s)) << daemon_->output();
  // The sink deletes the file before the pipeline's state turns from "removing" to "removed".
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("state") == "removed"; }, 10s)) << pipeline("prod").string_or("state");
  EXPECT_NE(applied("dev", "app").find("k: one"), std::string::npos) << "other folders are untouched";
  const std::string audit = read_file(dir_ / "state/audit.log");
  EXPECT_NE(audit.find("\"pipeline\":\"prod\",\"revision\":\"sha256:"), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"pruned\":1"), std::string::npos) << audit;
}

TEST_F(DaemonTest, AFolderRemovedWhileTheDaemonWasDownIsStillPruned) {
  write_config("1s", "", "pruneOnFolderRemoval: true, ");
  write_file(dir_ / "repo/clusters/prod/app.yaml", config_map("app", "prod"));
  start();
  EXPECT_TRUE(eventually([&] { return pipeline("prod").string_or("state") == "ready"; }, 10s)) << daemon_->output();
  daemon_.reset();
  fs::remove_all(dir_ / "repo/clusters/prod");
  start();
  EXPECT_TRUE(eventually([&] { return !fs::exists(dir_ / "out/prod/apps/configmap-app.yaml"); }, 10s)) << daemon_->output();
}

TEST_F(DaemonTest, AFailedFetchRetiresNothing) {
  write_config("1s", "", "pruneOnFolderRemoval: true, ");
  start();
  fs::rename(dir_ / "repo", dir_ / "elsewhere");
  EXPECT_TRUE(daemon_->wait_for_output("fetch failed", 10s)) << daemon_->output();
  std::this_thread::sleep_for(1500ms);
  // The path source reads in place, so reconciles from the last good revision fail now; nothing is retired.
  const std::string state = pipeline("dev").string_or("state");
  EXPECT_TRUE(state == "ready" || state == "failed") << state;
  EXPECT_NE(applied("dev", "app").find("k: one"), std::string::npos);
}

TEST_F(DaemonTest, AFailingSourceIsTheReasonShownOnEveryPipelineOfIt) {
  write_file(dir_ / "driftless.yaml", "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
                                      "sources: [{name: repo, type: path, path: missing, interval: 1s}]\npipelines:\n"
                                      "  - {name: fixed, source: repo, path: clusters/dev, sink: {type: dir, path: out/fixed}}\n"
                                      "  - {name: \"{{folder}}\", source: repo, forEachFolder: clusters/*, sink: {type: dir, path: out}}\n");
  start(false);
  auto first_error = [&](const std::string& name) {
    const Value p = pipeline(name);
    const Value* errors = p.find("errors");
    return errors && !errors->as_array().empty() ? errors->as_array()[0].as_string() : std::string();
  };
  EXPECT_TRUE(eventually([&] { return !first_error("fixed").empty(); }, 10s)) << daemon_->output();
  EXPECT_EQ(pipeline("fixed").string_or("state"), "pending");
  EXPECT_NE(first_error("fixed").find("source 'repo' could not be fetched (not_found): directory"), std::string::npos)
      << first_error("fixed");
  EXPECT_NE(first_error("fixed").find("nothing was fetched yet"), std::string::npos) << first_error("fixed");
  // The folder pipelines do not exist yet; their configured name stands for them.
  const Value folders = pipeline("{{folder}}");
  EXPECT_EQ(folders.string_or("state"), "pending");
  EXPECT_EQ(first_error("{{folder}}"), first_error("fixed"));
  EXPECT_NE(folders.string_or("message").find("forEachFolder 'clusters/*' is expanded after the first fetch of source 'repo'"),
            std::string::npos);
  auto status = run_driftless({"status", "--server", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_NE(status.out.find("could not be fetched"), std::string::npos) << status.out;

  fs::rename(dir_ / "repo", dir_ / "missing");
  EXPECT_TRUE(eventually([&] { return pipeline("dev").string_or("state") == "ready"; }, 10s)) << daemon_->output();
  EXPECT_EQ(first_error("fixed"), "");
  EXPECT_TRUE(pipeline("{{folder}}").is_null()) << "expanded now";
}

TEST_F(DaemonTest, ThousandsOfErrorsAreCappedInLogsAuditLogAndApi) {
  for (int i = 0; i < 300; ++i) write_file(dir_ / ("repo/clusters/dev/bad" + std::to_string(1000 + i) + ".yaml"), "a: 1\n");
  write_config("1h");
  start(false);
  EXPECT_TRUE(eventually([&] { return pipeline("dev").string_or("state") == "failed"; }, 20s)) << daemon_->output();
  const Value dev = pipeline("dev");
  const auto& errors = dev.find("errors")->as_array();
  ASSERT_EQ(errors.size(), 101u);
  EXPECT_EQ(errors.back().as_string(), "error: and 200 more not shown (200 errors, 0 warnings); fix the ones above first");
  const std::string audit = read_file(dir_ / "state/audit.log");
  EXPECT_NE(audit.find("and 200 more not shown"), std::string::npos);
  EXPECT_LT(audit.size(), 20'000u);
  const std::string log = daemon_->output();
  EXPECT_EQ(log.find("bad1100.yaml"), std::string::npos) << "only the first 100 are logged";
  EXPECT_NE(log.find("bad1099.yaml"), std::string::npos);
}

TEST_F(DaemonTest, EveryFolderGoneAtOncePrunesNothing) {
  write_config("1s", "", "pruneOnFolderRemoval: true, ");
  start();
  fs::remove_all(dir_ / "repo/clusters");
  fs::create_directories(dir_ / "repo/clusters");
  auto refused = [&] {
    const Value dev = pipeline("dev");
    const Value* errors = dev.find("errors");
    return dev.string_or("state") == "failed" && errors && !errors->as_array().empty() &&
           errors->as_array()[0].as_string().find("looks like a broken source") != std::string::npos;
  };
  EXPECT_TRUE(eventually(refused, 10s)) << daemon_->output();
  EXPECT_NE(applied("dev", "app").find("k: one"), std::string::npos);
}

TEST_F(DaemonTest, RenderFailureKeepsTheLastGoodStateAndReportsTheFile) {
  write_config("1s");
  start();
  write_file(dir_ / "repo/clusters/dev/app.yaml", "apiVersion: v1\nkind: [broken\n");
  EXPECT_TRUE(eventually([&] { return pipeline("dev").string_or("state") == "failed"; }, 10s));
  const Value dev = pipeline("dev");
  ASSERT_FALSE(dev.find("errors")->as_array().empty());
  EXPECT_NE(dev.find("errors")->as_array()[0].as_string().find("clusters/dev/app.yaml"), std::string::npos);
  EXPECT_NE(applied("dev", "app").find("k: one"), std::string::npos);
  auto status = run_driftless({"status", "--server", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(status.exit_code, 1);
}

TEST_F(DaemonTest, AFailedPipelineIsTriedAgainAfterItsRetryIntervalNotTheBackoff) {
  write_config("1h", "", "retryInterval: 1s, ");
  write_file(dir_ / "repo/clusters/dev/app.yaml", "apiVersion: v1\nkind: [broken\n");
  start(false);
  // The backoff would try at 0, 5 and 15 s: two attempts in 8 s.
  EXPECT_TRUE(eventually(
      [&] {
        const Value dev = pipeline("dev");  // find() points into it
        const Value* failures = dev.find("failures");
        return failures && failures->as_int() >= 4;
      },
      8s))
      << to_json(pipeline("dev"));
}

TEST_F(DaemonTest, SuspendResumeAndManualReconcile) {
  write_config("1h", "api: {tokenFile: api-token}\n");
  start();
  EXPECT_EQ(control("suspend").exit_code, 0);
  EXPECT_EQ(pipeline("dev").string_or("state"), "suspended");
  EXPECT_EQ(control("suspend", "nope").exit_code, 1);
  EXPECT_EQ(control("resume").exit_code, 0);
  const std::string before = pipeline("dev").string_or("lastAttempt");
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(control("reconcile").exit_code, 0);
  EXPECT_TRUE(eventually([&] { return pipeline("dev").string_or("lastAttempt") != before; }, 10s));
}

TEST_F(DaemonTest, SighupWithABrokenConfigKeepsTheOldOne) {
  start();
  write_file(dir_ / "driftless.yaml", "apiVersion: driftless.dev/v1alpha1\nkind: Config\nbogus: true\n");
  daemon_->signal(SIGHUP);
  EXPECT_TRUE(daemon_->wait_for_output("config reload refused", 10s)) << daemon_->output();
  EXPECT_NE(daemon_->output().find("unknown key 'bogus'"), std::string::npos);
  EXPECT_EQ(pipeline("dev").string_or("state"), "ready");

  write_config("1h", "concurrency: 2\n");
  daemon_->signal(SIGHUP);
  EXPECT_TRUE(daemon_->wait_for_output("config reloaded", 10s)) << daemon_->output();
  EXPECT_TRUE(eventually([&] { return pipeline("dev").string_or("state") == "ready"; }, 10s));
}

TEST_F(DaemonTest, HighAvailabilityWithASinkWithoutLeasesLeadsEveryPipeline) {
  // The dir sink has no shared target: Sink::hold_lease's default makes every replica the holder.
  write_config("1h", "highAvailability: {enabled: true, identity: only, leaseDuration: 2s, renewInterval: 1s}\n");
  start();
  EXPECT_TRUE(eventually([&] { return pipeline("dev").string_or("state") == "ready"; }, 10s)) << daemon_->output();
  EXPECT_TRUE(pipeline("dev").find("leader")->as_bool());
  EXPECT_NE(applied("dev", "app").find("k: one"), std::string::npos);
  EXPECT_NE(get("/metrics").second.find("driftless_pipeline_leader{pipeline=\"dev\"} 1"), std::string::npos);
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait(20s), 0) << daemon_->output();
  EXPECT_NE(daemon_->output().find("leases released"), std::string::npos) << daemon_->output();
}

TEST_F(DaemonTest, SigtermExitsCleanly) {
  start();
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait(20s), 0) << daemon_->output();
  EXPECT_NE(daemon_->output().find("driftless stopped"), std::string::npos);
}

TEST(Daemon, AddressInUseIsAClearError) {
  TempDir dir;
  httplib::Server blocker;
  const int port = blocker.bind_to_any_port("127.0.0.1");
  write_file(dir / "repo/x.yaml", "");
  write_file(dir / "driftless.yaml", "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:" + std::to_string(port) +
                                         "\nsources: [{name: r, type: path, path: repo}]\npipelines: [{name: p, source: r, sink: {type: dir, path: out}}]\n");
  auto r = run_driftless({"--config", (dir / "driftless.yaml").string(), "--state-dir", (dir / "s").string(), "run"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;
}
