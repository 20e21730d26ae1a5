// The pipeline label's value: a configured name as it is, a declared
// pipeline's "parent/child" (or a long name) made a valid label value that no
// other pipeline shares.
#include <gtest/gtest.h>

#include <regex>

#include "labels.hpp"

using driftless::kube::pipeline_label_value;

TEST(PipelineLabel, AValidNameIsItsOwnValue) {
  EXPECT_EQ(pipeline_label_value("prod"), "prod");
  EXPECT_EQ(pipeline_label_value("team_a.web-1"), "team_a.web-1");
}

TEST(PipelineLabel, ADeclaredPipelinesNameBecomesAValidDistinctValue) {
  const std::regex label("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  const std::string nested = pipeline_label_value("apps/guestbook");
  const std::string dashed = pipeline_label_value("apps-guestbook");
  const std::string long_name = pipeline_label_value(std::string(40, 'a') + "/" + std::string(40, 'b') + "/c");
  for (const auto& value : {nested, long_name}) {
    EXPECT_TRUE(std::regex_match(value, label)) << value;
    EXPECT_LE(value.size(), 63u) << value;
  }
  EXPECT_EQ(nested.rfind("apps-guestbook-", 0), 0u) << nested;
  EXPECT_NE(nested, dashed);
  EXPECT_NE(pipeline_label_value("apps/guestbook"), pipeline_label_value("apps/guestbooj"));
}
