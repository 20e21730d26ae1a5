#include "daemon/api_access.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "driftless/toolkit/hash.hpp"

namespace driftless::core {
namespace {

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// "host:port", "[v6]:port" or "host" -> the host part.
std::string_view host_of(std::string_view header) {
  if (!header.empty() && header.front() == '[') {
    const auto close = header.find(']');
    return close == std::string_view::npos ? std::string_view() : header.substr(1, close - 1);
  }
  if (std::count(header.begin(), header.end(), ':') > 1) return header;  // a bare IPv6 address
  return header.substr(0, header.find(':'));
}

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

ServedResponse refusal(int status, const std::string& message) {
  ServedResponse response = json_message(status, message);
  if (status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

bool is_json(std::string_view content_type) {
  return ascii_lower(content_type.substr(0, content_type.find(';'))) == "application/json";
}

// The dashboard's own page (served by this daemon, under its Host) sends its origin.
bool same_origin(std::string_view origin, std::string_view host) {
  const std::string o = ascii_lower(origin), h = ascii_lower(host);
  return !h.empty() && (o == "http://" + h || o == "https://" + h);
}

}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string read_api_token(const ApiSpec& api) {
  if (!api.token_file.empty()) {
    std::ifstream in(api.token_file);
    std::string line;
    std::getline(in, line);
    return trimmed(line);
  }
  const char* value = api.token_env.empty() ? nullptr : std::getenv(api.token_env.c_str());
  return value ? trimmed(value) : "";
}

bool host_allowed(std::string_view host_header, const ApiSpec& api) {
  const std::string host = ascii_lower(host_of(host_header));
  if (host.empty()) return false;
  if (host == "localhost" || is_ip_address(host)) return true;
  return std::any_of(api.allowed_hosts.begin(), api.allowed_hosts.end(), [&](const std::string& h) { return ascii_lower(h) == host; });
}

std::optional<ServedResponse> refuse_api_request(const ServedRequest& request, const ApiSpec& api, bool mutating) {
  if (!host_allowed(request.header("Host"), api))
    return refusal(403, "the Host header does not name this daemon: use its IP address or localhost, or list the name "
                        "in api.allowedHosts");
  if (!mutating) return std::nullopt;
  if (const std::string origin = request.header("Origin"); !origin.empty() && !same_origin(origin, request.header("Host")))
    return refusal(403, "control requests from web pages other than the daemon's own dashboard are refused");
  const std::string token = read_api_token(api);
  if (token.empty())
    return refusal(403, "the control API is off: no token is configured (api.tokenFile, or the variable " + api.token_env +
                            ")");
  const std::string authorization = request.header("Authorization");
  const std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() || ascii_lower(authorization.substr(0, scheme.size())) != ascii_lower(scheme) ||
      !constant_time_equal(trimmed(authorization.substr(scheme.size())), token))
    return refusal(401, "a valid 'Authorization: Bearer <token>' header is required");
  if (!is_json(request.header("Content-Type"))) return refusal(415, "control requests must have Content-Type application/json");
  return std::nullopt;
}

}  // namespace driftless::core
