// A `driftless run` under test and a client of its HTTP API, for the
// end-to-end tests that start the daemon and read their pipelines' status.
// Header only: the tests using it link cpp-httplib themselves.
#pragma once

#include <httplib.h>

#include <random>
#include <regex>

#include "driftless/value.hpp"
#include "source_fixture.hpp"

namespace driftless::test {

class RunningDaemon {
 public:
  /// Starts `driftless --config CONFIG --state-dir STATE_DIR --plugin-dir <built plugins> run`
  /// (git's LeakSanitizer suppressions in STATE_DIR's parent) and waits until it serves;
  /// started() says whether it did within 30 s.
  RunningDaemon(const std::filesystem::path& config, const std::filesystem::path& state_dir) {
    const auto suppressions = state_dir.parent_path() / "lsan.supp";
    write_file(suppressions, libgit2_leak_suppressions);
    process_ = std::make_unique<BackgroundProcess>(
        BackgroundProcess::driftless_argv({"--config", config.string(), "--state-dir", state_dir.string(),
                                           "--plugin-dir", plugin_dir().string(), "run"}),
        std::map<std::string, std::string>{{"LSAN_OPTIONS", "suppressions=" + suppressions.string()}});
    if (!process_->wait_for_output("driftless is running", std::chrono::seconds(30))) return;
    std::smatch m;
    const std::string log = process_->output();
    if (!std::regex_search(log, m, std::regex("listen=127\\.0\\.0\\.1:(\\d+)"))) return;
    port_ = std::stoi(m[1]);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }

  bool started() const { return client_ != nullptr; }
  /// The port it serves on.
  int port() const { return port_; }
  /// Everything the daemon logged so far.
  std::string output() const { return process_->output(); }
  /// The process, to signal it or wait for its exit.
  BackgroundProcess& process() { return *process_; }

  /// What GET /api/v1/pipelines answers (null when the daemon does not answer).
  Value status() {
    auto res = client_->Get("/api/v1/pipelines");
    if (!res || res->status != 200) return Value();
    auto parsed = parse_json(res->body);
    return parsed.ok() ? *parsed : Value();
  }

  /// The pipeline's entry in GET /api/v1/pipelines (null when absent or the daemon does not answer).
  Value pipeline(const std::string& name) {
    const Value answer = status();
    if (const Value* list = answer.find("pipelines"))
      for (const auto& p : list->as_array())
        if (p.string_or("name") == name) return p;
    return Value();
  }

  /// GET /metrics ("" when the daemon does not answer).
  std::string metrics() {
    auto res = client_->Get("/metrics");
    return res ? res->body : "";
  }

  /// Whether GET /readyz answers 200.
  bool ready() {
    auto res = client_->Get("/readyz");
    return res && res->status == 200;
  }

 private:
  std::unique_ptr<BackgroundProcess> process_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

/// A namespace of the tests/env cluster for one test ("<prefix>-<random>"),
/// deleted (without waiting) at the end, and kubectl against the cluster.
class ClusterNamespace {
 public:
  explicit ClusterNamespace(const std::string& prefix)
      : env_(require_env()), name_(prefix + "-" + std::to_string(std::random_device{}() % 1000000)) {
    created_ = !env_["KUBECONFIG"].empty() && kubectl({"create", "namespace", name_}).exit_code == 0;
  }
  ~ClusterNamespace() {
    if (created_) kubectl({"delete", "namespace", name_, "--wait=false"});
  }
  ClusterNamespace(const ClusterNamespace&) = delete;
  ClusterNamespace& operator=(const ClusterNamespace&) = delete;

  /// False when tests/env has no cluster or the namespace could not be made.
  bool created() const { return created_; }
  const std::string& name() const { return name_; }
  /// The environment of tests/env (KUBECONFIG, GIT_DAEMON_URL, ...).
  const std::map<std::string, std::string>& env() const { return env_; }
  std::string env(const std::string& key) const {
    auto it = env_.find(key);
    return it == env_.end() ? "" : it->second;
  }

  CommandResult kubectl(std::vector<std::string> args) const {
    args.insert(args.begin(), {env("KUBECTL"), "--kubeconfig", env("KUBECONFIG")});
    return run(args);
  }
  bool exists(const std::string& kind, const std::string& object) const {
    return kubectl({"get", kind, object, "-n", name_, "-o", "name"}).exit_code == 0;
  }

 private:
  std::map<std::string, std::string> env_;
  std::string name_;
  bool created_ = false;
};

}  // namespace driftless::test
