// Webhook verification (core/daemon/webhooks.cpp) on an arbitrary request:
// the input is "type\nName: value\n...\n\nbody". A header "X-Fuzz-Sign" makes
// the harness put the right signatures in, so the fuzzer also gets past the
// HMAC checks to the event handling.
#include <cstdint>
#include <map>
#include <sstream>
#include <string>

#include "daemon/webhooks.hpp"
#include "driftless/toolkit/hash.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t head_end = input.find("\n\n");
  std::istringstream head(input.substr(0, head_end));
  const std::string body = head_end == std::string::npos ? "" : input.substr(head_end + 2);
  const std::string secret = "fuzz-secret";

  driftless::core::WebhookSpec hook;
  hook.name = "fuzz";
  std::getline(head, hook.type);
  std::map<std::string, std::string> headers;
  for (std::string line; std::getline(head, line);)
    if (const auto colon = line.find(": "); colon != std::string::npos) headers[line.substr(0, colon)] = line.substr(colon + 2);
  if (headers.count("X-Fuzz-Sign")) {
    const std::string signature = "sha256=" + driftless::hmac_sha256_hex(secret, body);
    headers["X-Hub-Signature-256"] = headers["X-Signature"] = signature;
    headers["X-Gitlab-Token"] = secret;
  }
  auto header = [&](const std::string& name) {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  };
  driftless::core::verify_webhook(hook, secret, header, body);
  return 0;
}
