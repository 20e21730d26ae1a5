// The OCI registry of tests/env seen from a test: pushing artifacts as
// `flux push artifact` does (blobs and a manifest over the registry API v2,
// with the env's credentials), and a proxy in front of it that counts what
// passes and can stand for a hostile or token-guarded registry: `rewrite`
// changes an answer (other bytes, a redirect), `bearer` makes it ask for a
// token from its own token service first, as ghcr.io and Docker Hub do.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "driftless/toolkit/http.hpp"

namespace driftless::test {

class TestRegistry {
 public:
  TestRegistry();
  /// "127.0.0.1:<port>" of the real registry.
  const std::string& host() const { return host_; }
  /// A repository name no other test uses, below "public/" (anonymous reads) or "private/".
  std::string repository(const std::string& area, const std::string& name) const;
  /// Pushes `layer` (a .tar.gz) as the one layer of an artifact tagged `tag`; returns the manifest digest.
  std::string push(const std::string& repository, const std::string& tag, const std::string& layer,
                   const std::string& media_type = "application/vnd.cncf.flux.content.v1.tar+gzip",
                   long declared_size = -1);
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }

 private:
  std::string push_blob(const std::string& repository, const std::string& bytes);
  HttpRequest request(const std::string& method, const std::string& path) const;

  std::string host_, user_, password_, run_;
  HttpClient http_;
};

class RegistryProxy {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::map<std::string, std::string> headers;
  };
  /// Called for every forwarded answer (`target`: path and query).
  using Rewrite = std::function<void(const std::string& target, Reply& reply)>;

  RegistryProxy(std::string upstream, Rewrite rewrite = {}, bool bearer = false);
  ~RegistryProxy();
  RegistryProxy(const RegistryProxy&) = delete;
  RegistryProxy& operator=(const RegistryProxy&) = delete;

  /// "127.0.0.1:<port>": use in the source's url with insecure: true.
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  std::atomic<int> manifest_requests{0};
  std::atomic<int> blob_requests{0};
  std::atomic<int> token_requests{0};

 private:
  void handle(const httplib::Request& request, httplib::Response& response);

  std::string upstream_;
  Rewrite rewrite_;
  bool bearer_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace driftless::test
