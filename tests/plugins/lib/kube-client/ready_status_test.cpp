// The Ready condition written over a live object's (its transition time kept
// while the status stays, replaced when it changes) and when a status merge
// patch changes nothing. Writing it to the real kube-apiserver:
// tests/e2e/flux-kube/flux_status_test.cpp.
#include <gtest/gtest.h>

#include "ready_status.hpp"

namespace driftless::kube {
namespace {

Value json(const std::string& text) {
  auto parsed = parse_json(text);
  if (!parsed.ok()) throw std::runtime_error(parsed.error().message);
  return *parsed;
}

Value live_ready(const std::string& status) {
  return json(R"({"metadata":{"generation":4},"status":{"conditions":[{"type":"Reconciling","status":"True"},)"
              R"({"type":"Ready","status":")" + status + R"(","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})");
}

constexpr const char* kNow = "2026-12-03T14:00:00Z";

}  // namespace

TEST(ReadyCondition, KeepsTheTransitionTimeWhileTheStatusStays) {
  const Value failed = ready_condition(live_ready("False"), {false, "ReconciliationFailed", "it failed"}, kNow);
  EXPECT_EQ(to_json(failed), R"({"type":"Ready","status":"False","observedGeneration":4,)"
                             R"("lastTransitionTime":"2026-01-01T00:00:00Z","reason":"ReconciliationFailed","message":"it failed"})");
  EXPECT_EQ(ready_condition(live_ready("True"), {true, "ReconciliationSucceeded", "ok"}, kNow).string_or("lastTransitionTime"),
            "2026-01-01T00:00:00Z");
}

TEST(ReadyCondition, TakesNowWhenTheStatusChangesOrNoneWasThere) {
  EXPECT_EQ(ready_condition(live_ready("True"), {false, "ReconciliationFailed", "it failed"}, kNow).string_or("lastTransitionTime"), kNow);
  EXPECT_EQ(ready_condition(live_ready("False"), {true, "ReconciliationSucceeded", "ok"}, kNow).string_or("lastTransitionTime"), kNow);
  EXPECT_EQ(ready_condition(live_ready("Unknown"), {true, "ReconciliationSucceeded", "ok"}, kNow).string_or("lastTransitionTime"), kNow);
  const Value fresh = ready_condition(json(R"({"metadata":{"name":"web"}})"), {true, "ReconciliationSucceeded", "ok"}, kNow);
  EXPECT_EQ(fresh.string_or("lastTransitionTime"), kNow);
  EXPECT_EQ(fresh.find("observedGeneration")->as_int(), 0);
}

TEST(ChangesNothing, WhenEveryFieldOfThePatchHasItsValueAlready) {
  const Value live = json(R"({"metadata":{"generation":2},"status":{"lastAppliedRevision":"r1","conditions":[{"type":"Ready"}],)"
                          R"("inventory":{"entries":[{"id":"a"}]}}})");
  EXPECT_TRUE(changes_nothing(json(R"({"status":{"lastAppliedRevision":"r1"}})"), live));
  EXPECT_TRUE(changes_nothing(json(R"({"status":{"conditions":[{"type":"Ready"}],"gone":null}})"), live));
  EXPECT_FALSE(changes_nothing(json(R"({"status":{"lastAppliedRevision":"r2"}})"), live));
  EXPECT_FALSE(changes_nothing(json(R"({"status":{"observedGeneration":2}})"), live));
  // A merge patch replaces arrays whole: one more (or one fewer) condition is a change.
  EXPECT_FALSE(changes_nothing(json(R"({"status":{"conditions":[{"type":"Ready"},{"type":"Healthy"}]}})"), live));
  EXPECT_FALSE(changes_nothing(json(R"({"status":{"conditions":[]}})"), live));
  EXPECT_FALSE(changes_nothing(json(R"({"status":{"lastAppliedRevision":null}})"), live));
}

TEST(ObjectName, AcceptsKubernetesNamesAndRefusesWhatCouldLeaveARequestPath) {
  EXPECT_TRUE(object_name("name", "web-1.shop").ok());
  for (const std::string& bad : std::vector<std::string>{"", "../secrets", "Web", "a/b", "a b", std::string(254, 'a')}) {
    auto checked = object_name("statusObject.name", bad);
    ASSERT_FALSE(checked.ok()) << bad;
    EXPECT_NE(checked.error().message.find("statusObject.name"), std::string::npos);
  }
}

}  // namespace driftless::kube
