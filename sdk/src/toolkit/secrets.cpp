#include "driftless/toolkit/secrets.hpp"

#include <cstdlib>

#include "driftless/toolkit/files.hpp"

namespace driftless {

Result<std::string> read_secret(const std::string& file, const std::string& variable) {
  if (file.empty()) {
    const char* value = std::getenv(variable.c_str());
    if (!value || !*value) return fail(ErrorCode::unauthorized, "environment variable " + variable + " is not set or empty");
    return std::string(value);
  }
  auto text = read_file_capped(file, 64 << 10);
  if (!text.ok()) return fail(ErrorCode::unauthorized, "secret file " + file + " cannot be read: " + text.error().message);
  std::string line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return fail(ErrorCode::unauthorized, "secret file " + file + " is empty");
  return line;
}

}  // namespace driftless
