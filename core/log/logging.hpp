// Process-wide logging on top of spdlog: human-readable lines by default,
// JSON lines for log shippers (--log-format json).
#pragma once

#include <string>
#include <string_view>

#include "driftless/context.hpp"

namespace driftless::core {

enum class LogFormat { text, json };

/// Configures the process logger (stderr). Safe to call again.
void init_logging(LogFormat format, LogLevel level);

/// Parses "text"/"json" and "debug"/"info"/"warning"/"error"; false on unknown.
bool parse_log_format(std::string_view text, LogFormat& out);
bool parse_log_level(std::string_view text, LogLevel& out);

/// True when `text` holds a control character (a newline, a tab, ESC ...):
/// such a name would split a log line or a line of a state file.
bool has_control_characters(std::string_view text);

/// `text` with every control character written as an escape ("\\n", "\\t",
/// "\\x1b"), safe to put into one line.
std::string escape_control_characters(std::string_view text);

/// A Logger that writes through the process logger and adds fixed fields
/// (pipeline, plugin) to every line.
class FieldLogger : public Logger {
 public:
  explicit FieldLogger(LogFields fixed = {}) : fixed_(std::move(fixed)) {}
  void log(LogLevel level, std::string_view message, const LogFields& fields = {}) override;

 private:
  LogFields fixed_;
};

/// The logger with no fixed fields.
Logger& process_logger();

}  // namespace driftless::core
