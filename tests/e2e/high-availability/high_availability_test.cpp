// `driftless run` replicas against the real kube-apiserver of tests/env.
// Mode standby, two replicas: only the holder of the pipeline's Lease applies;
// when it is killed (-9) the other takes over once the lease expires and
// applies what is pushed after; a clean stop (SIGTERM) releases the lease at once.
// Mode shard, three replicas and many pipelines: each acts on its rendezvous
// share; a killed replica's share moves to the others and a joining one takes
// its share, nothing else moves, and every pipeline is acted on by one replica.
#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <random>
#include <set>
#include <sstream>

#include "driftless/value.hpp"
#include "running_daemon.hpp"

using namespace driftless;
using namespace driftless::test;
using namespace std::chrono_literals;

namespace {

constexpr auto kLeaseDuration = 4s;

std::string unique(const std::string& prefix) {
  static std::mt19937 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000);
}

// One replica: the config <identity>.yaml and the state dir state-<identity>
// of the test's folder; the repository is shared.
class Replica : public RunningDaemon {
 public:
  Replica(const TempDir& dir, const std::string& identity)
      : RunningDaemon(dir / (identity + ".yaml"), dir / ("state-" + identity)) {}

  bool up() const { return started(); }

  // Whether this replica acts on the pipeline and has it ready.
  bool leads(const std::string& name) {
    const Value p = pipeline(name);
    const Value* leader = p.find("leader");
    return leader && leader->as_bool() && p.string_or("state") == "ready";
  }
};

// tests/env's cluster, a namespace of the test's own and a folder for replicas.
class KubeTest : public ::testing::Test {
 protected:
  void make_namespace(const std::string& prefix) {
    env_ = test_env();
    ASSERT_FALSE(env_["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
    ns_ = unique(prefix);
    ASSERT_EQ(kubectl({"create", "namespace", ns_}).exit_code, 0);
  }

  CommandResult kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), {env_["KUBECTL"], "--kubeconfig", env_["KUBECONFIG"]});
    return run(args);
  }

  std::map<std::string, std::string> env_;
  TempDir dir_;
  std::string ns_;
};

class HighAvailability : public KubeTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(make_namespace("ha"));
    pipeline_ = unique("ha");
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

namespace {

constexpr int kPipelines = 240;

// m[key], or the empty value when absent (a failed expectation, not an exception).
template <class Map>
typename Map::mapped_type value_of(const Map& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? typename Map::mapped_type{} : it->second;
}

// Mode shard: replicas of one config but for the identity; one forEachFolder
// pipeline per tiny folder (a ConfigMap each), reconciled only when its source
// changes (interval 1h), so every line of an audit log is an act of its replica.
class ShardedReplicas : public KubeTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(make_namespace("shard"));
    set_values("one");
  }

  void TearDown() override {
    replicas_.clear();
    (void)kubectl({"delete", "namespace", ns_, "--wait=false"});
  }

  static std::string pipeline_of(int i) { return "app-" + std::to_string(i); }

  // Every folder's ConfigMap gets `value`.
  void set_values(const std::string& value) {
    for (int i = 0; i < kPipelines; ++i)
      write_file(dir_ / ("repo/apps/" + std::to_string(i) + "/cm.yaml"),
                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-" + std::to_string(i) + "}\ndata: {value: " + value + "}\n");
  }

  // How many ConfigMaps hold `value`.
  int live_with(const std::string& value) {
    const auto out = kubectl({"get", "configmaps", "-n", ns_, "-o", "jsonpath={range .items[*]}{.data.value}{\"\\n\"}{end}"}).out;
    int n = 0;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) n += line == value;
    return n;
  }

  Replica& start(const std::string& identity) {
    const std::string kube = "kubeconfig: " + env_["KUBECONFIG"];
    write_file(dir_ / (identity + ".yaml"),
               "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
               "highAvailability:\n  enabled: true\n  mode: shard\n  identity: " + identity +
                   "\n  leaseDuration: 8s\n  renewInterval: 2s\n"
                   "  membership: {type: kube, " + kube + ", leaseNamespace: " + ns_ + "}\n"
               "sources: [{name: repo, type: path, path: repo, interval: 1s}]\n"
               "pipelines:\n  - name: app-{{folder}}\n    source: repo\n    forEachFolder: apps/*\n    interval: 1h\n"
               "    sink: {type: kube, " + kube + ", namespace: " + ns_ + "}\n");
    auto& replica = replicas_[identity];
    replica = std::make_unique<Replica>(dir_, identity);
    EXPECT_TRUE(replica->up()) << replica->process().output();
    return *replica;
  }

  // pipeline -> the replica that acts on it, once `members` agree that they
  // are the members, each pipeline is led by exactly one of them, ready, and
  // every replica names that one as its replica; empty when that does not come about.
  std::map<std::string, std::string> settled(const std::vector<std::string>& members) {
    std::map<std::string, std::string> owners;
    const bool ok = eventually(
        [&] {
          owners.clear();
          std::map<std::string, std::set<std::string>> named;  // pipeline -> the replicas the members name for it
          for (const auto& identity : members) {
            const Value status = replicas_.at(identity)->status();
            const Value* replica = status.find("replica");
            if (!replica) return false;
            std::vector<std::string> seen;
            for (const auto& m : replica->find("members")->as_array()) seen.push_back(m.as_string());
            if (seen != members) return false;
            for (const auto& p : status.find("pipelines")->as_array()) {
              named[p.string_or("name")].insert(p.string_or("replica"));
              if (!p.find("leader")->as_bool()) continue;
              if (p.string_or("state") != "ready" || owners.count(p.string_or("name"))) return false;
              owners[p.string_or("name")] = identity;
            }
          }
          for (const auto& [pipeline, names] : named)
            if (names != std::set<std::string>{value_of(owners, pipeline)}) return false;
          return owners.size() == static_cast<std::size_t>(kPipelines);
        },
        180s);
    if (!ok) owners.clear();
    return owners;
  }

  // pipeline -> the replicas with a line for it in their audit log after the first `skip` lines of each.
  std::map<std::string, std::set<std::string>> acted_since(std::map<std::string, std::size_t>& lines) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& [identity, replica] : replicas_) {
      std::istringstream log(read_file(dir_ / ("state-" + identity) / "audit.log"));
      std::size_t n = 0;
      for (std::string line; std::getline(log, line); ++n) {
        if (n < lines[identity]) continue;
        auto entry = parse_json(line);
        if (entry.ok()) out[entry->string_or("pipeline")].insert(identity);
      }
      lines[identity] = n;
    }
    return out;
  }

  // pipeline -> leaseTransitions of its Lease.
  std::map<std::string, std::int64_t> transitions() {
    std::map<std::string, std::int64_t> out;
    auto leases = parse_json(kubectl({"get", "leases", "-n", ns_, "-o", "json"}).out);
    if (!leases.ok()) return out;
    for (const auto& lease : leases->find("items")->as_array()) {
      const Value* annotations = lease.find("metadata")->find("annotations");
      const std::string of = annotations ? annotations->string_or("driftless.dev/lease-of") : "";
      if (!of.empty()) out[of] = lease.find("spec")->find("leaseTransitions")->as_int();
    }
    return out;
  }

  static std::map<std::string, int> shares(const std::map<std::string, std::string>& owners) {
    std::map<std::string, int> out;
    for (const auto& [pipeline, owner] : owners) ++out[owner];
    return out;
  }

  // Rendezvous hashing puts each pipeline on one of n members as if at random:
  // a share is binomial(kPipelines, 1/n); 6 standard deviations either side.
  static double tolerance(int members) {
    const double p = 1.0 / members;
    return 6 * std::sqrt(kPipelines * p * (1 - p));
  }

  // Pushes `value` to every folder; true once every ConfigMap holds it and each
  // pipeline was acted on by its owner alone since `lines`.
  void push_and_check(const std::string& value, const std::map<std::string, std::string>& owners,
                      std::map<std::string, std::size_t>& lines) {
    (void)acted_since(lines);  // from here on
    set_values(value);
    ASSERT_TRUE(eventually([&] { return live_with(value) == kPipelines; }, 180s)) << live_with(value);
    // The audit line follows the apply: wait until each pipeline has one.
    std::map<std::string, std::set<std::string>> acted;
    std::map<std::string, std::size_t> from = lines;
    ASSERT_TRUE(eventually(
        [&] {
          auto mark = from;
          acted = acted_since(mark);
          return acted.size() == static_cast<std::size_t>(kPipelines);
        },
        60s));
    for (const auto& [pipeline, by] : acted)
      EXPECT_EQ(by, std::set<std::string>{value_of(owners, pipeline)}) << pipeline << " acted on by another replica than its owner";
    (void)acted_since(lines);
  }

  std::map<std::string, std::unique_ptr<Replica>> replicas_;
};

}  // namespace

TEST_F(ShardedReplicas, EachReplicaActsOnItsShareAKilledOnesShareMovesAndAJoinerTakesItsShare) {
  for (const std::string identity : {"replica-a", "replica-b", "replica-c"}) ASSERT_TRUE(start(identity).up());
  const auto three = settled({"replica-a", "replica-b", "replica-c"});
  ASSERT_EQ(three.size(), static_cast<std::size_t>(kPipelines)) << replicas_["replica-a"]->process().output();
  for (const auto& [identity, count] : shares(three)) {
    std::cout << identity << " acts on " << count << " of " << kPipelines << " pipelines\n";
    EXPECT_NEAR(count, kPipelines / 3.0, tolerance(3)) << identity;
  }
  ASSERT_EQ(shares(three).size(), 3u);
  const std::string metrics = replicas_["replica-a"]->metrics();
  EXPECT_NE(metrics.find("driftless_replica_members{replica=\"replica-a\"} 3"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("driftless_replica_pipelines{replica=\"replica-a\"} " + std::to_string(value_of(shares(three), "replica-a"))),
            std::string::npos);
  const CommandResult status = run_driftless({"status", "--server", "127.0.0.1:" + std::to_string(replicas_["replica-a"]->port())});
  EXPECT_NE(status.out.find("replica replica-a (mode shard) acts on " + std::to_string(value_of(shares(three), "replica-a")) +
                            " pipeline(s); 3 member(s): replica-a, replica-b, replica-c"),
            std::string::npos) << status.out;
  EXPECT_NE(status.out.find("REPLICA"), std::string::npos) << status.out;

  std::map<std::string, std::size_t> lines;
  push_and_check("two", three, lines);

  // replica-b dies without a word: its share, and only its share, moves to the others.
  const auto before_kill = transitions();
  replicas_["replica-b"]->process().signal(SIGKILL);
  replicas_["replica-b"]->process().wait(10s);
  const auto two = settled({"replica-a", "replica-c"});
  ASSERT_EQ(two.size(), static_cast<std::size_t>(kPipelines)) << replicas_["replica-a"]->process().output();
  const auto after_kill = transitions();
  int moved = 0;
  for (const auto& [pipeline, owner] : three) {
    if (owner == "replica-b") {
      ++moved;
      EXPECT_EQ(value_of(after_kill, pipeline), value_of(before_kill, pipeline) + 1) << pipeline << ": one takeover, from replica-b";
    } else {
      EXPECT_EQ(value_of(two, pipeline), owner) << pipeline << " moved although its owner lives";
      EXPECT_EQ(value_of(after_kill, pipeline), value_of(before_kill, pipeline)) << pipeline;
    }
  }
  std::cout << "after kill -9 of replica-b: " << moved << " pipelines moved; a " << shares(two)["replica-a"] << ", c "
            << shares(two)["replica-c"] << "\n";
  for (const auto& [pipeline, by] : acted_since(lines))
    EXPECT_EQ(by, std::set<std::string>{value_of(two, pipeline)}) << pipeline << " acted on by a replica that does not own it";
  push_and_check("three", two, lines);

  // replica-d joins: it takes its share of the three, and nothing moves between the others.
  ASSERT_TRUE(start("replica-d").up());
  const auto joined = settled({"replica-a", "replica-c", "replica-d"});
  ASSERT_EQ(joined.size(), static_cast<std::size_t>(kPipelines)) << replicas_["replica-d"]->process().output();
  for (const auto& [pipeline, owner] : joined)
    if (owner != "replica-d") {
      EXPECT_EQ(owner, value_of(two, pipeline)) << pipeline << " moved between replicas that both stayed";
    }
  EXPECT_NEAR(shares(joined)["replica-d"], kPipelines / 3.0, tolerance(3));
  std::cout << "replica-d joined and took " << shares(joined)["replica-d"] << " pipelines\n";
  for (const auto& [pipeline, by] : acted_since(lines))
    for (const auto& identity : by)
      EXPECT_TRUE(identity == value_of(joined, pipeline) || identity == value_of(two, pipeline)) << pipeline << " acted on by " << identity;
  push_and_check("four", joined, lines);

  // A clean stop gives the member lease up: the others count two members at once, not after expiry.
  replicas_["replica-d"]->process().signal(SIGTERM);
  ASSERT_EQ(replicas_["replica-d"]->process().wait(60s), 0) << replicas_["replica-d"]->process().output();
  EXPECT_NE(kubectl({"get", "lease", "driftless-member-replica-d", "-n", ns_}).exit_code, 0);
  const auto after_stop = settled({"replica-a", "replica-c"});
  ASSERT_EQ(after_stop.size(), static_cast<std::size_t>(kPipelines));
  EXPECT_EQ(after_stop, two) << "the same members, the same assignment";
}
