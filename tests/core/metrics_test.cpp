#include <gtest/gtest.h>

#include "daemon/metrics.hpp"

using namespace driftless::core;

TEST(Metrics, PrometheusTextFormat) {
  Metrics m;
  m.count("driftless_reconciles_total", {{"pipeline", "prod"}, {"result", "success"}});
  m.count("driftless_reconciles_total", {{"pipeline", "prod"}, {"result", "success"}});
  m.set("driftless_pipeline_info", {{"pipeline", "prod"}, {"revision", "main@sha1:abc"}}, 1);
  m.observe("driftless_reconcile_duration_seconds", {{"pipeline", "prod"}}, 0.3);
  m.observe("driftless_reconcile_duration_seconds", {{"pipeline", "prod"}}, 7);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE driftless_reconciles_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("driftless_reconciles_total{pipeline=\"prod\",result=\"success\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("driftless_pipeline_info{pipeline=\"prod\",revision=\"main@sha1:abc\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("driftless_reconcile_duration_seconds_bucket{pipeline=\"prod\",le=\"0.25\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("driftless_reconcile_duration_seconds_bucket{pipeline=\"prod\",le=\"0.5\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("driftless_reconcile_duration_seconds_bucket{pipeline=\"prod\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("driftless_reconcile_duration_seconds_sum{pipeline=\"prod\"} 7.2"), std::string::npos);
}

TEST(Metrics, ForgetDropsSeriesOfAGonePipeline) {
  Metrics m;
  m.count("driftless_reconciles_total", {{"pipeline", "old"}});
  m.count("driftless_reconciles_total", {{"pipeline", "new"}});
  m.forget("pipeline", "old");
  EXPECT_EQ(m.render().find("old"), std::string::npos);
  EXPECT_NE(m.render().find("new"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m;
  m.set("g", {{"x", "a\"b\\c\nd"}}, 1);
  EXPECT_NE(m.render().find(R"(g{x="a\"b\\c\nd"} 1)"), std::string::npos) << m.render();
}
