#include <gtest/gtest.h>

#include "driftless/toolkit/semver.hpp"

using namespace driftless;

namespace {
bool in(const char* range, const char* version) {
  auto r = SemVerRange::parse(range);
  EXPECT_TRUE(r.ok()) << range << ": " << (r.ok() ? "" : r.error().message);
  auto v = SemVer::parse(version);
  EXPECT_TRUE(v.has_value()) << version;
  return r.ok() && v && r->matches(*v);
}
}  // namespace

TEST(SemVer, ParsesAndOrdersBySemverPrecedence) {
  auto v = SemVer::parse("v1.2.3-rc.1+build.5");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->to_string(), "1.2.3-rc.1");
  EXPECT_EQ(v->build, "build.5");
  const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"};
  for (std::size_t i = 0; i + 1 < std::size(ordered); ++i)
    EXPECT_LT(*SemVer::parse(ordered[i]), *SemVer::parse(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
  EXPECT_EQ(*SemVer::parse("1.0.0+a"), *SemVer::parse("1.0.0+b"));
  for (const char* bad : {"1.2", "1.2.3.4", "01.2.3", "1.2.x", "release-1", "1.2.3-", "1.2.3-01", ""})
    EXPECT_FALSE(SemVer::parse(bad)) << bad;
}

TEST(SemVerRange, FluxAndHelmForms) {
  EXPECT_TRUE(in(">=1.0.0 <2.0.0", "1.9.9"));
  EXPECT_FALSE(in(">=1.0.0 <2.0.0", "2.0.0"));
  EXPECT_TRUE(in(">= 1.0, < 2", "1.5.0"));
  EXPECT_TRUE(in("^1.2", "1.9.0"));
  EXPECT_FALSE(in("^1.2", "1.1.9"));
  EXPECT_FALSE(in("^1.2", "2.0.0"));
  EXPECT_TRUE(in("^0.2.3", "0.2.9"));
  EXPECT_FALSE(in("^0.2.3", "0.3.0"));
  EXPECT_FALSE(in("^0.0.3", "0.0.4"));
  EXPECT_TRUE(in("~1.2.3", "1.2.9"));
  EXPECT_FALSE(in("~1.2.3", "1.3.0"));
  EXPECT_FALSE(in("~1.2.3", "1.2.2"));
  EXPECT_TRUE(in("~1", "1.9.0"));
  EXPECT_TRUE(in("1.x", "1.4.2"));
  EXPECT_FALSE(in("1.x", "2.0.0"));
  EXPECT_TRUE(in("1.2.*", "1.2.7"));
  EXPECT_TRUE(in("*", "7.0.0"));
  EXPECT_TRUE(in("", "0.0.1"));
  EXPECT_TRUE(in("1.2 - 1.4", "1.4.9"));
  EXPECT_FALSE(in("1.2 - 1.4", "1.5.0"));
  EXPECT_TRUE(in("<1.0.0 || >=3.0.0", "3.1.0"));
  EXPECT_FALSE(in("<1.0.0 || >=3.0.0", "2.0.0"));
  EXPECT_TRUE(in(">1.2", "1.3.0"));
  EXPECT_FALSE(in(">1.2", "1.2.9"));
  EXPECT_TRUE(in("<=1.2", "1.2.9"));
  EXPECT_TRUE(in("=1.2.3", "v1.2.3"));
  EXPECT_FALSE(in("!=1.2.3", "1.2.3"));
}

TEST(SemVerRange, PrereleasesOnlyWhenTheRangeNamesOne) {
  EXPECT_FALSE(in("*", "1.0.0-rc.1"));
  EXPECT_FALSE(in("^1.2", "1.3.0-rc.1"));
  EXPECT_TRUE(in(">=1.3.0-rc.0", "1.3.0-rc.1"));
}

TEST(SemVerRange, BadRangesSayWhichPart) {
  for (const char* bad : {">=one", "1.2.3.4", ">=", "^1.2 ~x.y", "!=1.2"}) {
    auto r = SemVerRange::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

TEST(SemVerRange, HighestMatchSkipsNonVersions) {
  auto range = SemVerRange::parse("^1.0");
  ASSERT_TRUE(range.ok());
  std::vector<std::string> tags{"v1.0.0", "latest", "v1.10.0", "v1.9.0", "v2.0.0", "v1.11.0-rc.1"};
  auto best = highest_match(*range, tags);
  ASSERT_TRUE(best);
  EXPECT_EQ(tags[*best], "v1.10.0");
  EXPECT_FALSE(highest_match(*SemVerRange::parse(">=5"), tags));
}
