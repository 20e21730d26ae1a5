// Rendezvous hashing of pipelines over the live replicas (highAvailability
// mode shard): every replica computes the same owner from the same members,
// the shares are even, and a member that leaves or joins moves only its own
// share. The tolerances follow from the hashing, not from timing: each
// pipeline lands on one of n members as if uniformly at random, so a share of
// N pipelines is binomial(N, 1/n); the bounds below are 6 standard deviations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "daemon/leadership.hpp"

using driftless::core::rendezvous_member;

namespace {

std::vector<std::string> pipelines(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back("app-" + std::to_string(i));
  return out;
}

std::map<std::string, std::string> assign(const std::vector<std::string>& names, const std::vector<std::string>& members) {
  std::map<std::string, std::string> out;
  for (const auto& n : names) out[n] = rendezvous_member(n, members);
  return out;
}

double six_sigma(double n, double p) { return 6 * std::sqrt(n * p * (1 - p)); }

}  // namespace

TEST(Rendezvous, EveryReplicaComputesTheSameOwnerWhateverTheOrderOfMembers) {
  const std::vector<std::string> a{"replica-a", "replica-b", "replica-c"};
  const std::vector<std::string> b{"replica-c", "replica-a", "replica-b"};
  for (const auto& n : pipelines(500)) EXPECT_EQ(rendezvous_member(n, a), rendezvous_member(n, b)) << n;
  EXPECT_EQ(rendezvous_member("app", {}), "");
  EXPECT_EQ(rendezvous_member("app", {"only"}), "only");
}

TEST(Rendezvous, SharesAreEven) {
  const auto names = pipelines(3000);
  std::map<std::string, int> share;
  for (const auto& [name, owner] : assign(names, {"replica-a", "replica-b", "replica-c"})) ++share[owner];
  ASSERT_EQ(share.size(), 3u);
  for (const auto& [owner, count] : share) EXPECT_NEAR(count, 1000, six_sigma(3000, 1.0 / 3)) << owner;
}

TEST(Rendezvous, ALeavingMemberMovesOnlyItsShareAndAJoinerTakesOnlyItsShare) {
  const auto names = pipelines(3000);
  const auto three = assign(names, {"replica-a", "replica-b", "replica-c"});
  const auto two = assign(names, {"replica-a", "replica-c"});
  int moved = 0;
  for (const auto& n : names) {
    if (three.at(n) == "replica-b") ++moved;
    else EXPECT_EQ(two.at(n), three.at(n)) << n << " moved although its owner stayed";
  }
  EXPECT_NEAR(moved, 1000, six_sigma(3000, 1.0 / 3));

  const auto four = assign(names, {"replica-a", "replica-b", "replica-c", "replica-d"});
  int joined = 0;
  for (const auto& n : names) {
    if (four.at(n) == "replica-d") ++joined;
    else EXPECT_EQ(four.at(n), three.at(n)) << n << " moved between members that both stayed";
  }
  EXPECT_NEAR(joined, 750, six_sigma(3000, 1.0 / 4));
}
