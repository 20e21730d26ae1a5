#include <gtest/gtest.h>

#include "driftless/toolkit/diff.hpp"
#include "driftless/value.hpp"

using namespace driftless;

TEST(Diff, UnifiedDiffShowsChangedLinesWithContext) {
  std::string d = unified_diff("a\nb\nc\n", "a\nB\nc\n", "x.yaml");
  EXPECT_NE(d.find("-b\n"), std::string::npos) << d;
  EXPECT_NE(d.find("+B\n"), std::string::npos) << d;
  EXPECT_NE(d.find("@@ -1,3 +1,3 @@"), std::string::npos) << d;
  EXPECT_EQ(unified_diff("same\n", "same\n", "x"), "");
}

TEST(Diff, SecretValuesAreMasked) {
  Value live = *parse_json(R"({"kind":"Secret","data":{"password":"c2VjcmV0MQ==","user":"YWRtaW4="}})");
  Value desired = *parse_json(R"({"kind":"Secret","data":{"password":"c2VjcmV0Mg==","user":"YWRtaW4="}})");
  std::string d = object_diff(live, desired, "Secret/x");
  EXPECT_EQ(d.find("c2VjcmV0"), std::string::npos) << d;
  EXPECT_EQ(d.find("YWRtaW4"), std::string::npos) << d;
  EXPECT_NE(d.find("*** (changed)"), std::string::npos) << d;
}
