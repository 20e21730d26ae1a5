// What the kube sink writes to its statusObject when a run fails: Ready=False
// with the reason Flux uses (DependencyNotReady for a run that waited for its
// dependsOn), the first error, bounded, and how many more there were; the
// applied revision and the inventory left as they are.
#include <gtest/gtest.h>

#include "status_object.hpp"

namespace driftless::kube {
namespace {

Value live_ready(const std::string& status) {
  auto parsed = parse_json(R"({"metadata":{"generation":7},"status":{"lastAppliedRevision":"main@sha1:abc",)"
                           R"("conditions":[{"type":"Ready","status":")" + status +
                           R"(","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})");
  if (!parsed.ok()) throw std::runtime_error(parsed.error().message);
  return *parsed;
}

constexpr const char* kNow = "2026-12-03T14:00:00Z";

const Value& ready_of(const Value& patch) { return patch.at_path({"status", "conditions"})->as_array().at(0); }

}  // namespace

TEST(FailureStatusPatch, ReadyFalseWithTheFirstErrorAndHowManyMore) {
  const std::vector<Diagnostic> errors{{Severity::error, "metadata.name is required", "apps/app/broken.yaml", 3, {}},
                                       {Severity::error, "second", {}, 0, {}},
                                       {Severity::error, "third", {}, 0, {}}};
  const Value patch = failure_status_patch(live_ready("True"), errors, kNow);
  EXPECT_EQ(to_json(patch), R"({"status":{"observedGeneration":7,"conditions":[{"type":"Ready","status":"False",)"
                            R"("observedGeneration":7,"lastTransitionTime":"2026-12-03T14:00:00Z",)"
                            R"("reason":"ReconciliationFailed","message":")" + format(errors[0]) + " (and 2 more)\"}]}}");
  // The applied revision and the inventory are not part of the patch: they stay as they are.
  EXPECT_EQ(patch.at_path({"status", "lastAppliedRevision"}), nullptr);
  EXPECT_EQ(patch.at_path({"status", "inventory"}), nullptr);
}

TEST(FailureStatusPatch, KeepsTheTransitionTimeWhileItStaysFalse) {
  const std::vector<Diagnostic> errors{{Severity::error, "the apply failed", {}, 0, {}}};
  EXPECT_EQ(ready_of(failure_status_patch(live_ready("False"), errors, kNow)).string_or("lastTransitionTime"),
            "2026-01-01T00:00:00Z");
  EXPECT_EQ(ready_of(failure_status_patch(live_ready("True"), errors, kNow)).string_or("lastTransitionTime"), kNow);
}

TEST(FailureStatusPatch, ARunWaitingForItsDependenciesIsDependencyNotReady) {
  // As core/pipeline/engine.cpp words it.
  const std::vector<Diagnostic> waits{{Severity::error,
                                       "waits for 'app' (dependsOn) to be applied without errors at main@sha1:abc; "
                                       "nothing of this pipeline is applied or pruned until then",
                                       "clusters/test/apps.yaml", 14, "Kustomization/flux-system/after"}};
  const Value patch = failure_status_patch(live_ready("True"), waits, kNow);
  const Value& ready = ready_of(patch);
  EXPECT_EQ(ready.string_or("reason"), "DependencyNotReady");
  EXPECT_EQ(ready.string_or("message"), format(waits[0]));
}

TEST(FailureSummary, IsBoundedWithoutCuttingACharacterInTwo) {
  std::string long_text;
  while (long_text.size() < 3 * kMaxFailureText) long_text += "é";  // two bytes each
  const std::string summary = failure_summary({{Severity::error, "x" + long_text, {}, 0, {}},
                                               {Severity::error, "second", {}, 0, {}}});
  const std::string more = " (and 1 more)";
  ASSERT_GT(summary.size(), more.size());
  EXPECT_EQ(summary.substr(summary.size() - more.size()), more);
  const std::string first = summary.substr(0, summary.size() - more.size());
  EXPECT_LE(first.size(), kMaxFailureText);
  EXPECT_EQ(first.substr(first.size() - 3), "...");
  EXPECT_TRUE(parse_json("\"" + first + "\"").ok()) << "valid UTF-8";
  EXPECT_EQ(failure_summary({}), "");
}

TEST(FailureSummary, AnErrorAboutASecretSaysWhichNotWhat) {
  const std::string summary = failure_summary(
      {{Severity::error, "Secret \"db\" is invalid: data[password]: Invalid value: \"hunter2\"", "apps/db.yaml", 4, "Secret/shop/db"}});
  EXPECT_EQ(summary.find("hunter2"), std::string::npos) << summary;
  EXPECT_NE(summary.find("apps/db.yaml:4"), std::string::npos) << summary;
  EXPECT_NE(summary.find("Secret/shop/db"), std::string::npos) << summary;
}

}  // namespace driftless::kube
