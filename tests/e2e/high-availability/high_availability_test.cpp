// Two `driftless run` replicas against the real kube-apiserver of tests/env:
// only the holder of the pipeline's Lease applies; when it is killed (-9) the
// other takes over once the lease expires and applies what is pushed after;
// a clean stop (SIGTERM) releases the lease at once.
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <random>
#include <regex>

#include "driftless/value.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
using namespace std::chrono_literals;

namespace {

constexpr auto kLeaseDuration = 4s;

std::string unique(const std::string& prefix) {
  static std::mt19937 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000);
}

// One replica: its own state dir and HTTP port, the shared config and repository.
class Replica {
 public:
  Replica(const TempDir& dir, const std::string& identity) {
    process_ = std::make_unique<BackgroundProcess>(BackgroundProcess::driftless_argv(
        {"--config", (dir / (identity + ".yaml")).string(), "--state-dir", (dir / ("state-" + identity)).string(), "run"}));
    if (!process_->wait_for_output("driftless is running", 20s)) return;
    std::smatch m;
    const std::string log = process_->output();
    if (std::regex_search(log, m, std::regex("listen=127\\.0\\.0\\.1:(\\d+)")))
      client_ = std::make_unique<httplib::Client>("127.0.0.1", std::stoi(m[1]));
  }

  bool up() const { return client_ != nullptr; }
  BackgroundProcess& process() { return *process_; }

  // The pipeline as /api/v1/pipelines shows it (null when the replica does not answer).
  Value pipeline(const std::string& name) {
    auto res = client_->Get("/api/v1/pipelines");
    if (!res || res->status != 200) return Value();
    auto parsed = parse_json(res->body);
    if (!parsed.ok()) return Value();
    for (const auto& p : parsed->find("pipelines")->as_array())
      if (p.string_or("name") == name) return p;
    return Value();
  }

  bool leads(const std::string& name) {
    const Value p = pipeline(name);
    const Value* leader = p.find("leader");
    return leader && leader->as_bool() && p.string_or("state") == "ready";
  }

  std::string metrics() {
    auto res = client_->Get("/metrics");
    return res ? res->body : "";
  }

  bool ready() {
    auto res = client_->Get("/readyz");
    return res && res->status == 200;
  }

 private:
  std::unique_ptr<BackgroundProcess> process_;
  std::unique_ptr<httplib::Client> client_;
};

class HighAvailability : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = test_env();
    ASSERT_FALSE(env_["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
    ns_ = unique("ha");
    pipeline_ = unique("ha");
    ASSERT_EQ(kubectl({"create", "namespace", ns_}).exit_code, 0);
    set_value("one");
    // The same config for both replicas, but for the identity each one holds leases under.
    for (const std::string identity : {"replica-a", "replica-b"})
      write_file(dir_ / (identity + ".yaml"),
                 "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
                 "highAvailability: {enabled: true, identity: " + identity + ", leaseDuration: 4s, renewInterval: 1s}\n"
                 "sources: [{name: repo, type: path, path: repo, interval: 1s}]\n"
                 "pipelines:\n  - name: " + pipeline_ + "\n    source: repo\n    path: app\n"
                 "    sink: {type: kube, kubeconfig: " + env_["KUBECONFIG"] + ", namespace: " + ns_ + "}\n");
  }

  CommandResult kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), {env_["KUBECTL"], "--kubeconfig", env_["KUBECONFIG"]});
    return run(args);
  }

  void set_value(const std::string& value) {
    write_file(dir_ / "repo/app/settings.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {value: " + value + "}\n");
  }

  std::string live_value() {
    return kubectl({"get", "configmap", "settings", "-n", ns_, "-o", "jsonpath={.data.value}"}).out;
  }

  std::string lease_holder() {
    return kubectl({"get", "lease", "driftless-lease-" + pipeline_, "-n", ns_, "-o", "jsonpath={.spec.holderIdentity}"}).out;
  }

  // Starts A (the leader, once it applied) and then B (a standby).
  void start_both(std::unique_ptr<Replica>& a, std::unique_ptr<Replica>& b) {
    a = std::make_unique<Replica>(dir_, "replica-a");
    ASSERT_TRUE(a->up()) << a->process().output();
    ASSERT_TRUE(eventually([&] { return a->leads(pipeline_); }, 30s)) << a->process().output();
    EXPECT_EQ(live_value(), "one");
    b = std::make_unique<Replica>(dir_, "replica-b");
    ASSERT_TRUE(b->up()) << b->process().output();
    ASSERT_TRUE(eventually([&] { return b->ready(); }, 30s)) << b->process().output();
    EXPECT_EQ(b->pipeline(pipeline_).string_or("state"), "standby");
    EXPECT_EQ(lease_holder(), "replica-a");
  }

  std::map<std::string, std::string> env_;
  TempDir dir_;
  std::string ns_;
  std::string pipeline_;
};

}  // namespace

TEST_F(HighAvailability, OnlyTheLeaderAppliesAndAStandbyTakesOverWhenItIsKilled) {
  std::unique_ptr<Replica> a, b;
  start_both(a, b);
  EXPECT_NE(a->metrics().find("driftless_pipeline_leader{pipeline=\"" + pipeline_ + "\"} 1"), std::string::npos);
  EXPECT_NE(b->metrics().find("driftless_pipeline_leader{pipeline=\"" + pipeline_ + "\"} 0"), std::string::npos);

  // The standby does not act: a change is applied by the leader alone.
  set_value("two");
  ASSERT_TRUE(eventually([&] { return live_value() == "two"; }, 30s)) << a->process().output();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(b->pipeline(pipeline_).string_or("lastAttempt"), "") << b->process().output();
  EXPECT_EQ(b->process().output().find("reconciled"), std::string::npos) << b->process().output();

  // The leader dies without a word: the standby takes over once the lease expires.
  a->process().signal(SIGKILL);
  a->process().wait(10s);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return b->leads(pipeline_); }, 60s)) << b->process().output();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
  std::cout << "takeover after kill -9: " << took.count() << " ms (lease duration "
            << std::chrono::milliseconds(kLeaseDuration).count() << " ms, renew interval 1000 ms)\n";
  EXPECT_EQ(lease_holder(), "replica-b");

  // ... and applies what is pushed afterwards.
  set_value("three");
  EXPECT_TRUE(eventually([&] { return live_value() == "three"; }, 30s)) << b->process().output();
}

TEST_F(HighAvailability, ACleanStopReleasesTheLease) {
  std::unique_ptr<Replica> a, b;
  start_both(a, b);
  a->process().signal(SIGTERM);
  ASSERT_EQ(a->process().wait(30s), 0) << a->process().output();
  EXPECT_NE(a->process().output().find("leases released"), std::string::npos) << a->process().output();
  // Released, not left to expire: at once free or already taken by the standby.
  const std::string holder = lease_holder();
  EXPECT_TRUE(holder.empty() || holder == "replica-b") << holder;
  const auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return b->leads(pipeline_); }, 30s)) << b->process().output();
  std::cout << "takeover after SIGTERM: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopped).count()
            << " ms\n";
  set_value("four");
  EXPECT_TRUE(eventually([&] { return live_value() == "four"; }, 30s)) << b->process().output();
}
