// The daemon's HTTP request parser (core/daemon/http_server.cpp, the same
// Boost.Beast settings the server reads with) on arbitrary bytes, and what the
// control API's access rules make of whatever it accepts.
#include <cstdint>
#include <string_view>

#include "daemon/api_access.hpp"
#include "daemon/http_server.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  driftless::core::HttpLimits limits;
  limits.max_head = 4096;
  limits.max_body = 4096;
  const auto parsed =
      driftless::core::parse_http_request(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!parsed.ok()) return 0;
  driftless::core::ApiSpec api;
  api.allowed_hosts = {"driftless.example.com"};
  driftless::core::refuse_api_request(*parsed, api, true);
  driftless::core::refuse_api_request(*parsed, api, false);
  return 0;
}
