// A plain-HTTP proxy on 127.0.0.1 in front of the real kube-apiserver of
// tests/env (reached over TLS as its admin user), for answers the real server
// gives only under load or in a cluster of several servers: `intercept` may
// answer a request itself (a 429 with Retry-After), and `rewrite` may change
// what the server answered (discovery that lags behind a new CRD).
#pragma once

#include <httplib.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace driftless::test {

class ApiServerProxy {
 public:
  struct Reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::multimap<std::string, std::string> headers;
  };
  /// Called for every request (`target`: path and query); a reply is sent instead of forwarding.
  using Intercept = std::function<std::optional<Reply>(const std::string& method, const std::string& target)>;
  /// Called for every forwarded answer.
  using Rewrite = std::function<void(const std::string& method, const std::string& target, Reply& reply)>;

  /// `env`: the tests/env environment file's values.
  ApiServerProxy(const std::map<std::string, std::string>& env, Intercept intercept, Rewrite rewrite = {});
  ~ApiServerProxy();
  ApiServerProxy(const ApiServerProxy&) = delete;
  ApiServerProxy& operator=(const ApiServerProxy&) = delete;

  /// Writes a kubeconfig into `dir` that reaches the API server through the proxy; returns its path.
  std::filesystem::path kubeconfig(const std::filesystem::path& dir) const;

 private:
  void handle(const httplib::Request& request, httplib::Response& response);
  Reply forward(const httplib::Request& request) const;

  std::string host_;
  int upstream_port_ = 0;
  std::string pki_;
  Intercept intercept_;
  Rewrite rewrite_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

/// A Kubernetes Status body.
std::string status_body(int code, const std::string& reason, const std::string& message);

}  // namespace driftless::test
