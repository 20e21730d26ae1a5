// still_in_sync: the no-op and drift check on managedFields, on objects shaped
// like what kube-apiserver returns.
#include <gtest/gtest.h>

#include "ownership.hpp"

namespace driftless::kube {
namespace {

Value json(const std::string& text) {
  auto parsed = parse_json(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return *parsed;
}

const char* kDesired = R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"ns",
  "labels":{"app":"web"},"annotations":{"driftless.dev/applied-hash":"H"}},
  "spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}})";

std::string live_with(const std::string& hash, const std::string& fields) {
  return R"({"metadata":{"name":"web","namespace":"ns","annotations":{"driftless.dev/applied-hash":")" + hash +
         R"("},"managedFields":[{"manager":"kube-controller-manager","operation":"Update","fieldsV1":{}},
         {"manager":"driftless","operation":"Apply","fieldsV1":)" + fields + "}]}}";
}

const char* kOwned = R"({"f:metadata":{"f:labels":{"f:app":{},"f:app.kubernetes.io/managed-by":{},"f:driftless.dev/pipeline":{}},"f:annotations":{"f:driftless.dev/applied-hash":{}}},
  "f:spec":{"f:selector":{},"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}}}})";

TEST(StillInSync, TrueWhenHashMatchesAndEveryFieldIsOwned) {
  EXPECT_TRUE(still_in_sync(json(live_with("H", kOwned)), json(kDesired), "H"));
}

TEST(StillInSync, FalseWhenTheDesiredObjectChanged) {
  EXPECT_FALSE(still_in_sync(json(live_with("OLD", kOwned)), json(kDesired), "H"));
}

TEST(StillInSync, FalseWhenSomeoneTookAFieldOver) {
  std::string taken = kOwned;
  taken.replace(taken.find(R"("f:targetPort":{})"), 17, R"("f:name":{})");
  EXPECT_FALSE(still_in_sync(json(live_with("H", taken)), json(kDesired), "H"));
}

TEST(StillInSync, FalseWhenSomeoneTookTheLabelsTheSinkAddsOver) {
  for (const char* label : {R"("f:driftless.dev/pipeline":{})", R"("f:app.kubernetes.io/managed-by":{})"}) {
    std::string taken = kOwned;
    taken.replace(taken.find(label), std::string(label).size(), R"("f:other":{})");
    EXPECT_FALSE(still_in_sync(json(live_with("H", taken)), json(kDesired), "H")) << label;
  }
}

TEST(StillInSync, FalseWhenAListItemIsNoLongerOurs) {
  std::string other_port = kOwned;
  other_port.replace(other_port.find("80"), 2, "81");
  EXPECT_FALSE(still_in_sync(json(live_with("H", other_port)), json(kDesired), "H"));
}

TEST(StillInSync, FalseWithoutOurApplyEntry) {
  EXPECT_FALSE(still_in_sync(json(R"({"metadata":{"annotations":{"driftless.dev/applied-hash":"H"}}})"), json(kDesired), "H"));
}

TEST(StillInSync, ScalarSetsAndAtomicListsAreOwnedAsAWhole) {
  Value desired = json(R"({"apiVersion":"v1","kind":"X","metadata":{"name":"x","annotations":{"driftless.dev/applied-hash":"H"}},
    "spec":{"args":["a","b"],"finalizers":["f1"]}})");
  const std::string fields = R"({"f:metadata":{"f:annotations":{"f:driftless.dev/applied-hash":{}},
    "f:labels":{"f:app.kubernetes.io/managed-by":{},"f:driftless.dev/pipeline":{}}},
    "f:spec":{"f:args":{},"f:finalizers":{".":{},"v:\"f1\"":{}}}})";
  EXPECT_TRUE(still_in_sync(json(live_with("H", fields)), desired, "H"));
  std::string lost = fields;
  lost.replace(lost.find(R"(v:\"f1\")"), 8, R"(v:\"f2\")");
  EXPECT_FALSE(still_in_sync(json(live_with("H", lost)), desired, "H"));
}

TEST(DesiredHash, ChangesWithTheObject) {
  EXPECT_EQ(desired_hash(json(R"({"a":1})")), desired_hash(json(R"({"a":1})")));
  EXPECT_NE(desired_hash(json(R"({"a":1})")), desired_hash(json(R"({"a":2})")));
  EXPECT_EQ(desired_hash(json(R"({"a":1})")).size(), 32u);
}

}  // namespace
}  // namespace driftless::kube
