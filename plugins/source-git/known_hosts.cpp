#include "known_hosts.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "driftless/toolkit/hash.hpp"

namespace driftless::git {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) out.push_back(part);
  return out;
}

std::string hmac_sha1(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// "|1|<base64 salt>|<base64 HMAC-SHA1(salt, name)>", as ssh-keygen -H writes.
bool hashed_matches(const std::string& pattern, const std::string& name) {
  auto parts = split(pattern.substr(3), '|');
  if (parts.size() != 2) return false;
  auto salt = base64_decode(parts[0]);
  auto hash = base64_decode(parts[1]);
  return salt && hash && hmac_sha1(*salt, name) == *hash;
}

// OpenSSH host patterns know only '*' and '?' ('[' is literal, as in "[host]:port").
bool glob_matches(const char* pattern, const char* name) {
  if (*pattern == '\0') return *name == '\0';
  if (*pattern == '*') return glob_matches(pattern + 1, name) || (*name && glob_matches(pattern, name + 1));
  if (*name == '\0') return false;
  const bool same = *pattern == '?' || std::tolower(static_cast<unsigned char>(*pattern)) == std::tolower(static_cast<unsigned char>(*name));
  return same && glob_matches(pattern + 1, name + 1);
}

// True when the host field lists `name` ("host" or "[host]:port") and no
// negated pattern excludes it.
bool host_listed(const std::string& field, const std::string& name) {
  if (field.rfind("|1|", 0) == 0) return hashed_matches(field, name);
  bool listed = false;
  for (const auto& pattern : split(field, ',')) {
    const bool negated = !pattern.empty() && pattern[0] == '!';
    const std::string glob = negated ? pattern.substr(1) : pattern;
    if (!glob_matches(glob.c_str(), name.c_str())) continue;
    if (negated) return false;
    listed = true;
  }
  return listed;
}

}  // namespace

std::string fingerprint(const std::string& key) {
  std::string b64 = base64_encode(sha256_raw(key));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

Result<std::vector<KnownHost>> read_known_hosts(const std::string& file) {
  std::ifstream in(file);
  if (!in) return fail(ErrorCode::invalid_input, "knownHostsFile " + file + " cannot be read");
  std::vector<KnownHost> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::string first;
    if (!(fields >> first) || first[0] == '#') continue;
    KnownHost entry;
    entry.line = number;
    if (first[0] == '@') {
      if (first != "@revoked") continue;  // @cert-authority: host certificates are not used here
      entry.revoked = true;
      if (!(fields >> first)) continue;
    }
    entry.patterns = first;
    std::string encoded;
    if (!(fields >> entry.key_type >> encoded)) {
      return fail(ErrorCode::invalid_input, file + ":" + std::to_string(number) + ": not a known_hosts line (host keytype key)");
    }
    auto key = base64_decode(encoded);
    if (!key) return fail(ErrorCode::invalid_input, file + ":" + std::to_string(number) + ": the key is not valid base64");
    entry.key = *key;
    out.push_back(std::move(entry));
  }
  return out;
}

Result<void> check_host_key(const std::vector<KnownHost>& entries, const std::string& file, const std::string& host,
                            int port, const std::string& key_type, const std::string& key) {
  const std::string name = port == 22 ? host : "[" + host + "]:" + std::to_string(port);
  const std::string offered = key_type + " " + fingerprint(key);
  bool known = false;
  for (const auto& entry : entries) {
    if (!host_listed(entry.patterns, name)) continue;
    if (entry.key == key && entry.revoked)
      return fail(ErrorCode::unauthorized, "the host key of " + name + " (" + offered + ") is marked @revoked in " + file +
                                               ":" + std::to_string(entry.line));
    if (!entry.revoked) known = true;
  }
  for (const auto& entry : entries)
    if (!entry.revoked && entry.key == key && entry.key_type == key_type && host_listed(entry.patterns, name)) return {};
  if (known)
    return fail(ErrorCode::unauthorized, "HOST KEY MISMATCH for " + name + ": the server presented " + offered +
                                             ", which is not the key recorded in " + file +
                                             ". Someone may be intercepting the connection, or the host key was "
                                             "changed; check with the Git host and update knownHostsFile.");
  return fail(ErrorCode::unauthorized, "unknown host " + name + ": " + file + " has no entry for it (the server presented " +
                                           offered + "). Add the host's key, e.g. `ssh-keyscan -p " + std::to_string(port) +
                                           " " + host + "` after checking its fingerprint.");
}

}  // namespace driftless::git
