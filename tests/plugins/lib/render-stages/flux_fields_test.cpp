// The Flux field readers the flux and helmrelease renderers share, and how the
// flux stage recognises the repository a pipeline reads itself.
#include <gtest/gtest.h>

#include "flux_fields.hpp"
#include "flux_kustomization.hpp"

using namespace driftless;
using namespace driftless::renderers;

TEST(GoDuration, ReadsFluxsIntervals) {
  EXPECT_EQ(parse_go_duration("10m0s"), std::chrono::milliseconds(600000));
  EXPECT_EQ(parse_go_duration("1h30m"), std::chrono::milliseconds(5400000));
  EXPECT_EQ(parse_go_duration("1.5m"), std::chrono::milliseconds(90000));
  EXPECT_EQ(parse_go_duration("250ms"), std::chrono::milliseconds(250));
  for (const char* bad : {"", "10", "5 m", "1d", "m", "1..5s"}) EXPECT_EQ(parse_go_duration(bad), std::nullopt) << bad;
}

TEST(OwnRepository, IsFluxBootstrapsGitRepositoryOrTheSourcesUrlInAnyForm) {
  Artifact artifact;
  artifact.metadata["url"] = "https://github.com/Acme/fleet.git";
  EXPECT_TRUE(is_own_repository("flux-system", "flux-system", "", artifact));
  for (const char* same : {"ssh://git@github.com/Acme/fleet", "git@github.com:Acme/fleet.git", "https://GitHub.com/Acme/fleet/",
                           "https://token@github.com/Acme/fleet"})
    EXPECT_TRUE(is_own_repository("apps", "fleet", same, artifact)) << same;
  for (const char* other : {"https://github.com/Acme/fleet-apps", "https://github.com/acme/fleet", "https://gitlab.com/Acme/fleet", ""})
    EXPECT_FALSE(is_own_repository("apps", "fleet", other, artifact)) << other;
  EXPECT_FALSE(is_own_repository("apps", "fleet", "https://github.com/Acme/fleet", Artifact{}));
}
