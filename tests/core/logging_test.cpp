// Text log lines stay one line per event, whatever a name holds.
#include <gtest/gtest.h>

#include <algorithm>

#include "log/logging.hpp"

using namespace driftless;
using namespace driftless::core;

TEST(Logging, ControlCharactersAreEscapedInTextLines) {
  EXPECT_FALSE(has_control_characters("clusters/prod ü"));
  EXPECT_TRUE(has_control_characters("a\tb"));
  EXPECT_EQ(escape_control_characters("a\nb\tc\x1b[31m"), "a\\nb\\tc\\x1b[31m");

  init_logging(LogFormat::text, LogLevel::info);
  testing::internal::CaptureStderr();
  process_logger().error("folder clusters/x\nerror fake line", {{"pipeline", "x\ny"}});
  const std::string line = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  EXPECT_NE(line.find("error folder clusters/x\\nerror fake line pipeline=\"x\\ny\""), std::string::npos) << line;
}
