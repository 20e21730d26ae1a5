// The pipeline label: a configured name as it is, a declared pipeline's
// "<parent>/<child>" (no valid label value) in a form the API server takes.
#include <gtest/gtest.h>

#include <vector>

#include "labels.hpp"

namespace driftless::kube {
namespace {

bool valid_label_value(const std::string& v) {
  if (v.empty() || v.size() > 63 || !std::isalnum(static_cast<unsigned char>(v.front())) ||
      !std::isalnum(static_cast<unsigned char>(v.back())))
    return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

TEST(PipelineLabel, AValidNameStaysAndADeclaredOneBecomesAValidUniqueValue) {
  EXPECT_EQ(pipeline_label_value("prod"), "prod");
  EXPECT_EQ(pipeline_label_value("team_a.web-1"), "team_a.web-1");
  const std::string declared = pipeline_label_value("staging/apps");
  EXPECT_EQ(declared.rfind("staging.apps-", 0), 0u) << declared;
  EXPECT_NE(declared, pipeline_label_value("staging.apps"));
  for (const std::string& name : std::vector<std::string>{"staging/apps", "/x", "a/b/c/" + std::string(100, 'd'), "-lead", "trail-", ""})
    EXPECT_TRUE(valid_label_value(pipeline_label_value(name))) << name << " -> " << pipeline_label_value(name);
}

}  // namespace
}  // namespace driftless::kube
