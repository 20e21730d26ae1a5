#include "driftless/toolkit/secrets.hpp"

#include <cstdlib>

#include "driftless/toolkit/files.hpp"

namespace driftless {

const SettingsSchema<BasicAuth>& basic_auth_schema() {
  static const auto schema =
      SettingsSchema<BasicAuth>()
          .key(ConfigKey("username", ConfigType::string, "User name for basic auth."), &BasicAuth::username)
          .key(ConfigKey("passwordFile", ConfigType::path, "File whose first line is the password or token."),
               &BasicAuth::password_file)
          .key(ConfigKey("passwordEnv", ConfigType::string, "Environment variable holding the password or token."),
               &BasicAuth::password_env);
  return schema;
}

Result<BasicAuth> checked_basic_auth(BasicAuth auth) {
  const int passwords = !auth.password_file.empty() + !auth.password_env.empty();
  if (passwords > 1) return fail(ErrorCode::invalid_input, "auth: set only one of passwordFile and passwordEnv");
  if (auth.username.empty() != (passwords == 0))
    return fail(ErrorCode::invalid_input, "auth: username needs passwordFile or passwordEnv, and they need username");
  return auth;
}

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
