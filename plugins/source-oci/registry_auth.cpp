#include "registry_auth.hpp"

#include <cctype>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/secrets.hpp"
#include "driftless/value.hpp"

namespace driftless::oci {
namespace {

constexpr std::uintmax_t kMaxDockerConfig = 1 << 20;

// The "auths" entry of a Docker config.json for `host` ("ghcr.io", or a key
// written as a URL, "https://index.docker.io/v1/" for docker.io).
Result<std::optional<Credentials>> from_docker_config(const std::string& file, const std::string& host) {
  auto text = read_file_capped(file, kMaxDockerConfig);
  if (!text.ok()) return fail(ErrorCode::unauthorized, "auth.dockerConfigFile " + file + " cannot be read: " + text.error().message);
  auto config = parse_json(*text);
  if (!config.ok() || !config->is_object())
    return fail(ErrorCode::invalid_input, "auth.dockerConfigFile " + file + " is not a JSON object");
  const Value* auths = config->find("auths");
  const bool docker_hub = host == "docker.io" || host == "registry-1.docker.io" || host == "index.docker.io";
  for (const auto& [key, entry] : auths && auths->is_object() ? auths->as_object() : Object{}) {
    std::string name = key;
    if (auto scheme = name.find("://"); scheme != std::string::npos) name = name.substr(scheme + 3);
    name = name.substr(0, name.find('/'));
    if (name != host && !(docker_hub && name == "index.docker.io")) continue;
    if (!entry.is_object()) break;
    if (auto encoded = entry.string_or("auth"); !encoded.empty()) {
      auto decoded = base64_decode(encoded);
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos)
        return fail(ErrorCode::invalid_input, "auth.dockerConfigFile " + file + ": the \"auth\" of " + key +
                                                  " is not base64 of user:password");
      return std::optional<Credentials>(Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)});
    }
    if (!entry.string_or("username").empty())
      return std::optional<Credentials>(Credentials{entry.string_or("username"), entry.string_or("password")});
    break;
  }
  return fail(ErrorCode::unauthorized, "auth.dockerConfigFile " + file + " has no \"auths\" entry with a user and password "
                                       "for " + host + " (credential helpers and credsStore are not used)");
}

}  // namespace

Result<std::optional<Credentials>> read_credentials(const OciAuth& auth, const std::string& host) {
  if (!auth.docker_config_file.empty()) return from_docker_config(auth.docker_config_file, host);
  if (auth.basic.username.empty()) return std::optional<Credentials>();
  auto password = read_secret(auth.basic.password_file, auth.basic.password_env);
  if (!password.ok()) return fail(ErrorCode::unauthorized, "auth: " + password.error().message);
  return std::optional<Credentials>(Credentials{auth.basic.username, *password});
}

std::optional<Challenge> parse_challenge(const std::string& header) {
  std::size_t at = 0;
  while (at < header.size() && std::isspace(static_cast<unsigned char>(header[at]))) ++at;
  Challenge out;
  while (at < header.size() && !std::isspace(static_cast<unsigned char>(header[at])))
    out.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(header[at++]))));
  if (out.scheme.empty()) return std::nullopt;
  while (at < header.size()) {
    while (at < header.size() && (header[at] == ',' || std::isspace(static_cast<unsigned char>(header[at])))) ++at;
    const auto equals = header.find('=', at);
    if (equals == std::string::npos) break;
    std::string name = header.substr(at, equals - at);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    at = equals + 1;
    std::string value;
    if (at < header.size() && header[at] == '"') {
      for (++at; at < header.size() && header[at] != '"'; ++at) {
        if (header[at] == '\\' && at + 1 < header.size()) ++at;
        value.push_back(header[at]);
      }
      ++at;
    } else {
      while (at < header.size() && header[at] != ',') value.push_back(header[at++]);
    }
    out.params[name] = value;
  }
  return out;
}

std::string basic_authorization(const Credentials& credentials) {
  return "Basic " + base64_encode(credentials.username + ":" + credentials.password);
}

}  // namespace driftless::oci
