// The Flux field readers the flux and helmrelease renderers share, and how the
// flux stage recognises the repository a pipeline reads itself.
#include <gtest/gtest.h>

#include "flux_fields.hpp"
#include "flux_sources.hpp"

using namespace driftless;
using namespace driftless::renderers;

TEST(GoDuration, ReadsFluxsIntervals) {
  EXPECT_EQ(parse_go_duration("10m0s"), std::chrono::milliseconds(600000));
  EXPECT_EQ(parse_go_duration("1h30m"), std::chrono::milliseconds(5400000));
  EXPECT_EQ(parse_go_duration("1.5m"), std::chrono::milliseconds(90000));
  EXPECT_EQ(parse_go_duration("250ms"), std::chrono::milliseconds(250));
  for (const char* bad : {"", "10", "5 m", "1d", "m", "1..5s"}) EXPECT_EQ(parse_go_duration(bad), std::nullopt) << bad;
}

namespace {

// A GitRepository's spec with `url` and, when given, `ref`.
Value git_spec(const std::string& url, const std::string& ref_kind = "", const std::string& ref = "") {
  Object spec;
  spec.set("url", url);
  if (!ref_kind.empty()) {
    Object r;
    r.set(ref_kind, ref);
    spec.set("ref", Value(std::move(r)));
  }
  return Value(std::move(spec));
}

}  // namespace

TEST(OwnRepository, IsFluxBootstrapsGitRepositoryOrTheSourcesUrlInAnyFormOnTheSameBranch) {
  Artifact artifact;
  artifact.revision = "main@sha1:0123456789abcdef0123456789abcdef01234567";
  artifact.metadata["url"] = "https://github.com/Acme/fleet.git";
  EXPECT_TRUE(is_own_repository("flux-system", "flux-system", nullptr, artifact));
  for (const char* same : {"ssh://git@github.com/Acme/fleet", "git@github.com:Acme/fleet.git", "https://GitHub.com/Acme/fleet/",
                           "https://token@github.com/Acme/fleet"}) {
    const Value spec = git_spec(same);
    EXPECT_TRUE(is_own_repository("apps", "fleet", &spec, artifact)) << same;
  }
  for (const char* other : {"https://github.com/Acme/fleet-apps", "https://github.com/acme/fleet", "https://gitlab.com/Acme/fleet", ""}) {
    const Value spec = git_spec(other);
    EXPECT_FALSE(is_own_repository("apps", "fleet", &spec, artifact)) << other;
  }
  const Value same_url = git_spec("https://github.com/Acme/fleet");
  EXPECT_FALSE(is_own_repository("apps", "fleet", &same_url, Artifact{}));
  EXPECT_FALSE(is_own_repository("apps", "fleet", nullptr, artifact));
  // The same repository at another branch, a tag or a range is another revision: not the pipeline's own.
  const Value main = git_spec("https://github.com/Acme/fleet", "branch", "main");
  const Value commit = git_spec("https://github.com/Acme/fleet", "commit", "0123456789abcdef0123456789abcdef01234567");
  EXPECT_TRUE(is_own_repository("apps", "fleet", &main, artifact));
  EXPECT_TRUE(is_own_repository("apps", "fleet", &commit, artifact));
  for (const auto& [kind, value] : std::vector<std::pair<std::string, std::string>>{
           {"branch", "dev-team"}, {"tag", "v1.0.0"}, {"semver", ">=1.0.0"}, {"commit", "fedcba9876543210fedcba9876543210fedcba98"}}) {
    const Value other = git_spec("https://github.com/Acme/fleet", kind, value);
    EXPECT_FALSE(is_own_repository("apps", "fleet", &other, artifact)) << kind << " " << value;
  }
}
