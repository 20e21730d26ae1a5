#include "repository_url.hpp"

#include <algorithm>
#include <cctype>

#include "driftless/toolkit/http.hpp"

namespace driftless::renderers {

std::string repository_key(const std::string& url) {
  std::string rest = url;
  bool ssh = false;
  if (const auto scheme = rest.find("://"); scheme != std::string::npos) {
    ssh = rest.compare(0, scheme, "ssh") == 0;
    rest = rest.substr(scheme + 3);
  } else if (const auto colon = rest.find(':'); colon != std::string::npos && colon < rest.find('/')) {
    rest[colon] = '/';  // scp-like "git@github.com:org/repo"
    ssh = true;
  }
  const auto slash = std::min(rest.find('/'), rest.size());
  if (const auto at = rest.rfind('@', slash); at != std::string::npos) rest = rest.substr(at + 1);
  std::string host = rest.substr(0, std::min(rest.find('/'), rest.size()));
  std::string path = rest.substr(host.size());
  if (const auto port = host.find(':'); ssh && port != std::string::npos) host = host.substr(0, port);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0) path.resize(path.size() - 4);
  return host + path;
}

bool is_fetchable_git_url(const std::string& url) {
  for (const char* scheme : {"https://", "http://", "git://", "ssh://"})
    if (url.rfind(scheme, 0) == 0) return true;
  return !ssh_url_of_scp_like(url).empty();
}

}  // namespace driftless::renderers
