// A `driftless run` under test and a client of its HTTP API, for the
// end-to-end tests that start the daemon and read their pipelines' status.
// Header only: the tests using it link cpp-httplib themselves.
#pragma once

#include <httplib.h>

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
    if (std::regex_search(log, m, std::regex("listen=127\\.0\\.0\\.1:(\\d+)")))
      client_ = std::make_unique<httplib::Client>("127.0.0.1", std::stoi(m[1]));
  }

  bool started() const { return client_ != nullptr; }
  /// Everything the daemon logged so far.
  std::string output() const { return process_->output(); }

  /// The pipeline's entry in GET /api/v1/pipelines (null when absent or the daemon does not answer).
  Value pipeline(const std::string& name) {
    auto res = client_->Get("/api/v1/pipelines");
    if (!res || res->status != 200) return Value();
    auto parsed = parse_json(res->body);
    if (!parsed.ok()) return Value();
    for (const auto& p : parsed->find("pipelines")->as_array())
      if (p.string_or("name") == name) return p;
    return Value();
  }

 private:
  std::unique_ptr<BackgroundProcess> process_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace driftless::test
