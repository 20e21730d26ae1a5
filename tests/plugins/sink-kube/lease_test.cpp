// The kube sink's pipeline Lease against the real kube-apiserver of tests/env:
// acquire, renew, contention between identities, takeover after expiry,
// release, and many replicas racing for one expired lease; the member Leases
// of highAvailability mode shard: listed while live, gone when left or expired.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "connection.hpp"
#include "lease.hpp"
#include "support.hpp"

namespace driftless::kube {
namespace {

using namespace std::chrono_literals;

class PipelineLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = test::test_env();
    ASSERT_FALSE(env_["KUBECONFIG"].empty()) << "tests/env is not up (DRIFTLESS_ENV_DIR)";
    auto access = find_cluster(env_["KUBECONFIG"], "");
    ASSERT_TRUE(access.ok()) << access.error().message;
    client_ = std::make_unique<KubeClient>(std::move(*access), Impersonation{}, 10s);
    static std::mt19937 rng{std::random_device{}()};
    pipeline_ = "lease-" + std::to_string(rng() % 1000000);
  }

  // A field of the Lease object, read with kubectl.
  std::string lease_field(const PipelineLease& lease, const std::string& path) {
    const std::string name = lease.id().substr(lease.id().rfind('/') + 1);
    return test::run({env_["KUBECTL"], "--kubeconfig", env_["KUBECONFIG"], "get", "lease", name, "-n", "default", "-o",
                      "jsonpath={" + path + "}"})
        .out;
  }

  bool hold(const PipelineLease& lease, const std::string& who, std::chrono::milliseconds duration = 15s) {
    auto held = lease.hold(*client_, {who, duration});
    EXPECT_TRUE(held.ok()) << held.error().message;
    return held.ok() && *held;
  }

  std::map<std::string, std::string> env_;
  std::unique_ptr<KubeClient> client_;
  std::string pipeline_;
};

TEST_F(PipelineLeaseTest, FirstHolderKeepsItAndRenewsWhileOthersWait) {
  PipelineLease lease("default", pipeline_);
  EXPECT_TRUE(hold(lease, "replica-a"));  // created
  EXPECT_EQ(lease_field(lease, ".spec.holderIdentity"), "replica-a");
  EXPECT_EQ(lease_field(lease, ".spec.leaseDurationSeconds"), "15");
  const std::string first_renewal = lease_field(lease, ".spec.renewTime");

  EXPECT_FALSE(hold(lease, "replica-b"));  // still valid: not taken over
  EXPECT_EQ(lease_field(lease, ".spec.holderIdentity"), "replica-a");

  std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(hold(lease, "replica-a"));  // renewed
  EXPECT_NE(lease_field(lease, ".spec.renewTime"), first_renewal);
  EXPECT_EQ(lease_field(lease, ".spec.leaseTransitions"), "0");
}

TEST_F(PipelineLeaseTest, AnotherHolderTakesOverOnlyAfterExpiry) {
  PipelineLease lease("default", pipeline_);
  ASSERT_TRUE(hold(lease, "replica-a", 2s));
  EXPECT_FALSE(hold(lease, "replica-b", 2s));
  // renewTime + leaseDurationSeconds passes without a renewal: replica-a died.
  std::this_thread::sleep_for(2500ms);
  EXPECT_TRUE(hold(lease, "replica-b", 2s));
  EXPECT_EQ(lease_field(lease, ".spec.holderIdentity"), "replica-b");
  EXPECT_EQ(lease_field(lease, ".spec.leaseTransitions"), "1");
  // The old holder comes back: it does not get the lease back while replica-b renews.
  EXPECT_FALSE(hold(lease, "replica-a", 2s));
}

TEST_F(PipelineLeaseTest, ReleaseLetsAnotherHolderTakeOverAtOnce) {
  PipelineLease lease("default", pipeline_);
  ASSERT_TRUE(hold(lease, "replica-a"));
  auto not_ours = lease.release(*client_, {"replica-b", 15s});
  ASSERT_TRUE(not_ours.ok()) << not_ours.error().message;
  EXPECT_EQ(lease_field(lease, ".spec.holderIdentity"), "replica-a") << "only the holder can release";
  auto released = lease.release(*client_, {"replica-a", 15s});
  ASSERT_TRUE(released.ok()) << released.error().message;
  EXPECT_EQ(lease_field(lease, ".spec.holderIdentity"), "");
  EXPECT_TRUE(hold(lease, "replica-b"));
}

TEST_F(PipelineLeaseTest, OfManyReplicasRacingForOneLeaseExactlyOneWins) {
  PipelineLease lease("default", pipeline_);
  ASSERT_TRUE(hold(lease, "replica-0", 1s));
  std::this_thread::sleep_for(1500ms);  // expired: everyone may try
  std::atomic<int> winners{0}, errors{0};
  std::vector<std::thread> replicas;
  for (int i = 1; i <= 8; ++i)
    replicas.emplace_back([&, i] {
      auto held = lease.hold(*client_, {"replica-" + std::to_string(i), 15s});
      if (!held.ok()) ++errors;
      else if (*held) ++winners;
    });
  for (auto& t : replicas) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(winners.load(), 1);
  const std::string holder = lease_field(lease, ".spec.holderIdentity");
  EXPECT_NE(holder, "replica-0");
  EXPECT_TRUE(hold(lease, holder));
}

TEST_F(PipelineLeaseTest, AMissingNamespaceIsAClearError) {
  PipelineLease lease("no-such-namespace", pipeline_);
  auto held = lease.hold(*client_, {"replica-a", 15s});
  ASSERT_FALSE(held.ok());
  EXPECT_NE(held.error().message.find("namespace 'no-such-namespace' does not exist"), std::string::npos)
      << held.error().message;
}


// Member Leases are listed per namespace: each test gets a namespace of its own.
class MemberLeaseTest : public PipelineLeaseTest {
 protected:
  void SetUp() override {
    PipelineLeaseTest::SetUp();
    namespace_ = pipeline_;
    ASSERT_EQ(kubectl({"create", "namespace", namespace_}).exit_code, 0);
  }
  void TearDown() override { (void)kubectl({"delete", "namespace", namespace_, "--wait=false"}); }

  test::CommandResult kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), {env_["KUBECTL"], "--kubeconfig", env_["KUBECONFIG"]});
    return test::run(args);
  }

  std::vector<std::string> members(const std::string& who, std::chrono::milliseconds duration = 15s) {
    auto live = MemberLease(namespace_, who).members(*client_, {who, duration});
    EXPECT_TRUE(live.ok()) << live.error().message;
    return live.ok() ? *live : std::vector<std::string>{};
  }

  std::string namespace_;
};

TEST_F(MemberLeaseTest, EachReplicaHoldsOneAndSeesTheLiveOnesUntilOneLeaves) {
  EXPECT_EQ(members("replica-b"), (std::vector<std::string>{"replica-b"}));
  EXPECT_EQ(members("replica-a"), (std::vector<std::string>{"replica-a", "replica-b"}));
  EXPECT_EQ(members("replica-b"), (std::vector<std::string>{"replica-a", "replica-b"}));  // renewed, not doubled
  EXPECT_EQ(kubectl({"get", "lease", "driftless-member-replica-a", "-n", namespace_, "-o",
                     "jsonpath={.metadata.labels.driftless\\.dev/member}"}).out,
            "true");
  // A pipeline Lease in the same namespace is no member.
  ASSERT_TRUE(hold(PipelineLease(namespace_, "app"), "replica-c"));
  EXPECT_EQ(members("replica-a"), (std::vector<std::string>{"replica-a", "replica-b"}));

  auto left = MemberLease(namespace_, "replica-a").leave(*client_, {"replica-a", 15s});
  ASSERT_TRUE(left.ok()) << left.error().message;
  EXPECT_EQ(members("replica-b"), (std::vector<std::string>{"replica-b"}));
  EXPECT_NE(kubectl({"get", "lease", "driftless-member-replica-a", "-n", namespace_}).exit_code, 0) << "deleted on leave";
}

TEST_F(MemberLeaseTest, AnExpiredMemberIsNotListedAndItsLeaseIsDeletedLater) {
  ASSERT_EQ(members("replica-a", 1s), (std::vector<std::string>{"replica-a"}));
  // replica-a stops renewing (killed); replica-b's view drops it once its lease expired ...
  EXPECT_TRUE(test::eventually([&] { return members("replica-b") == std::vector<std::string>{"replica-b"}; }, 30s));
  // ... and, a lease duration after that, deletes its Lease: identities change with every restart.
  EXPECT_TRUE(test::eventually(
      [&] {
        (void)members("replica-b", 1s);
        return kubectl({"get", "lease", "driftless-member-replica-a", "-n", namespace_}).exit_code != 0;
      },
      30s));
  EXPECT_EQ(members("replica-a"), (std::vector<std::string>{"replica-a", "replica-b"})) << "a slow replica comes back";
}

}  // namespace
}  // namespace driftless::kube
