// Where the cluster is and how to authenticate: a kubeconfig (with context
// selection, client certificates, tokens, exec credential plugins) or the
// in-cluster service account.
#pragma once

#include <driftless/toolkit/http.hpp>
#include <driftless/result.hpp>
#include <driftless/value.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace driftless::kube {

/// A client.authentication.k8s.io/v1 exec credential plugin of a kubeconfig user.
struct ExecPlugin {
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::filesystem::path dir;  ///< the kubeconfig's folder: relative commands start here
};

/// Everything needed to talk to one API server as one user.
struct ClusterAccess {
  std::string server;       ///< "https://127.0.0.1:6443"
  std::string description;  ///< where it came from, for messages ("kubeconfig X, context Y")
  std::string context;      ///< the kubeconfig context in use, or "in-cluster"
  std::string namespace_name;  ///< the context's namespace ("" = none)
  TlsOptions tls;
  std::string token;                 ///< a static bearer token
  std::filesystem::path token_file;  ///< a bearer token read from a file (rotated tokens)
  std::optional<ExecPlugin> exec;
};

/// Finds the cluster: the kubeconfig file `kubeconfig` when not empty, else
/// $KUBECONFIG (':'-separated files, merged, first wins), else ~/.kube/config,
/// else the in-cluster service account. `context` "" = the current context.
Result<ClusterAccess> find_cluster(const std::string& kubeconfig, const std::string& context);

/// The name of the cluster `find_cluster(kubeconfig, context)` reaches, for
/// people: `context` when set, else the kubeconfig's current-context, else
/// "in-cluster"; "" when there is none. Reads the kubeconfig, nothing else.
std::string cluster_name(const std::string& kubeconfig, const std::string& context);

/// Parses one kubeconfig document (already merged) read from `file`.
Result<ClusterAccess> access_from_kubeconfig(const Value& config, const std::filesystem::path& file,
                                             const std::string& context);

}  // namespace driftless::kube
