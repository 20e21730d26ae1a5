#include "log/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <mutex>

#include "driftless/value.hpp"

namespace driftless::core {
namespace {

LogFormat g_format = LogFormat::text;
std::once_flag g_default_init;

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warning: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

std::shared_ptr<spdlog::logger> make_logger() {
  // We format lines ourselves (text or JSON); spdlog does levels, locking and output.
  auto logger = std::make_shared<spdlog::logger>("driftless", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");
  return logger;
}

spdlog::logger& logger() {
  std::call_once(g_default_init, [] {
    if (!spdlog::get("driftless")) spdlog::register_logger(make_logger());
    spdlog::get("driftless")->set_level(spdlog::level::info);
  });
  return *spdlog::get("driftless");
}

std::string format_line(LogLevel level, std::string_view message, const LogFields& fixed, const LogFields& fields) {
  if (g_format == LogFormat::json) {
    Object line;
    line.set("time", utc_now());
    line.set("level", level_name(level));
    line.set("msg", std::string(message));
    for (const auto* set : {&fixed, &fields})
      for (const auto& [k, v] : *set) line.set(k, v);
    return to_json(Value(std::move(line)));
  }
  // One event, one line: a name holding a newline must not forge a second one.
  std::string out = utc_now() + " " + level_name(level) + " " + escape_control_characters(message);
  for (const auto* set : {&fixed, &fields})
    for (const auto& [k, v] : *set) {
      out += " " + escape_control_characters(k) + "=";
      const bool plain = !v.empty() && v.find_first_of(" \"=") == std::string::npos && !has_control_characters(v);
      out += plain ? v : to_json(Value(v));
    }
  return out;
}

}  // namespace

bool has_control_characters(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string escape_control_characters(std::string_view text) {
  if (!has_control_characters(text)) return std::string(text);
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else out += static_cast<char>(c);
  }
  return out;
}

void init_logging(LogFormat format, LogLevel level) {
  g_format = format;
  logger().set_level(to_spdlog(level));
}

bool parse_log_format(std::string_view text, LogFormat& out) {
  if (text == "text") out = LogFormat::text;
  else if (text == "json") out = LogFormat::json;
  else return false;
  return true;
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::debug;
  else if (text == "info") out = LogLevel::info;
  else if (text == "warning" || text == "warn") out = LogLevel::warning;
  else if (text == "error") out = LogLevel::error;
  else return false;
  return true;
}

void FieldLogger::log(LogLevel level, std::string_view message, const LogFields& fields) {
  auto& l = logger();
  if (!l.should_log(to_spdlog(level))) return;
  l.log(to_spdlog(level), "{}", format_line(level, message, fixed_, fields));
}

Logger& process_logger() {
  static FieldLogger instance;
  return instance;
}

}  // namespace driftless::core
