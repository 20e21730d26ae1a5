// A Helm chart repository served over HTTP on loopback, and the helm of
// tests/env: what the tests of the helm and helmrelease renderers share.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

namespace driftless::test {

/// tests/env, read once.
std::map<std::string, std::string>& helm_env();

/// helm of tests/env against the test cluster, with a private HOME.
CommandResult helm(std::vector<std::string> args);

/// A chart repository: charts packaged with `helm package`, indexed with
/// `helm repo index`, served by python3's http.server on 127.0.0.1; with a
/// `username`, every request without its basic auth gets 401.
class ChartRepository {
 public:
  explicit ChartRepository(const std::string& username = "", const std::string& password = "");
  /// Packages chart `name` `version` with `templates` (file -> text),
  /// `values` (values.yaml) and more `files` at the chart's root, and
  /// re-indexes the repository.
  void add(const std::string& name, const std::string& version, const std::map<std::string, std::string>& templates,
           const std::string& values, const std::map<std::string, std::string>& files = {});
  /// Pushes the archive add() made of `name` `version` to the OCI registry of
  /// tests/env as <OCI_REGISTRY_URL>/<repository>/<name> (with its credentials).
  void push_oci(const std::string& name, const std::string& version, const std::string& repository);
  /// "http://127.0.0.1:PORT".
  const std::string& url() const { return url_; }
  /// The archive add() served for `name` `version` (a test may tamper with it).
  std::filesystem::path archive(const std::string& name, const std::string& version) const {
    return dir_ / "repo" / (name + "-" + version + ".tgz");
  }

 private:
  TempDir dir_;
  std::unique_ptr<BackgroundProcess> server_;
  std::string url_;
};

}  // namespace driftless::test
