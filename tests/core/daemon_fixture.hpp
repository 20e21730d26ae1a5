// A `driftless run` process over a path source with one folder pipeline
// (`dev`, written by the dir sink), a GitHub webhook and, when asked, an API
// token; and a raw TCP client for requests no HTTP library would send.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <string_view>

#include "driftless/value.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string config_map(const std::string& name, const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: apps}\ndata: {k: " + value + "}\n";
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "repo/clusters/dev/app.yaml", config_map("app", "one"));
    write_file(dir_ / "hook-secret", "s3cret\n");
    write_file(dir_ / "api-token", "t0ken\n");
    write_config("1h");
  }

  void write_config(const std::string& interval, const std::string& extra = "", const std::string& pipeline_keys = "") {
    write_file(dir_ / "driftless.yaml", "apiVersion: driftless.dev/v1alpha1\nkind: Config\nlisten: 127.0.0.1:0\n"
                                        "sources: [{name: repo, type: path, path: repo, interval: " + interval + "}]\n"
                                        "pipelines:\n"
                                        "  - {name: \"{{folder}}\", source: repo, forEachFolder: clusters/*, " + pipeline_keys +
                                        "sink: {type: dir, path: \"out/{{folder}}\"}}\n"
                                        "webhooks:\n  - {name: github, type: github, secretFile: hook-secret}\n" + extra);
  }

  void start(bool wait_until_ready = true) {
    daemon_ = std::make_unique<BackgroundProcess>(BackgroundProcess::driftless_argv(
        {"--config", (dir_ / "driftless.yaml").string(), "--state-dir", (dir_ / "state").string(), "run"}));
    ASSERT_TRUE(daemon_->wait_for_output("driftless is running", 20s)) << daemon_->output();
    std::smatch m;
    const std::string log = daemon_->output();
    ASSERT_TRUE(std::regex_search(log, m, std::regex("listen=127\\.0\\.0\\.1:(\\d+)")));
    port_ = std::stoi(m[1]);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    if (!wait_until_ready) return;
    ASSERT_TRUE(eventually([&] { return get("/readyz").first == 200; }, 20s)) << daemon_->output();
  }

  std::pair<int, std::string> get(const std::string& path) {
    auto res = client_->Get(path.c_str());
    return res ? std::make_pair(res->status, res->body) : std::make_pair(0, std::string());
  }

  int post_hook(const std::string& body, const std::string& signature, const std::string& event = "push",
                const std::string& delivery = "") {
    httplib::Headers headers{{"X-Hub-Signature-256", signature}, {"X-GitHub-Event", event}};
    if (!delivery.empty()) headers.emplace("X-GitHub-Delivery", delivery);
    auto res = client_->Post("/hooks/github", headers, body, "application/json");
    return res ? res->status : 0;
  }

  /// `driftless ACTION dev` as an operator runs it: the config names the daemon and the token.
  CommandResult control(const std::string& action, const std::string& pipeline = "dev") {
    return run_driftless({action, pipeline, "--config", (dir_ / "driftless.yaml").string(), "--server",
                          "127.0.0.1:" + std::to_string(port_)});
  }

  Value pipeline(const std::string& name) {
    auto parsed = parse_json(get("/api/v1/pipelines").second);
    if (!parsed.ok()) return Value();
    for (const auto& p : parsed->find("pipelines")->as_array())
      if (p.string_or("name") == name) return p;
    return Value();
  }

  std::string applied(const std::string& cluster, const std::string& name) {
    return read_file(dir_ / ("out/" + cluster + "/apps/configmap-" + name + ".yaml"));
  }

  TempDir dir_;
  std::unique_ptr<BackgroundProcess> daemon_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

/// A plain TCP connection to 127.0.0.1: sends exactly the bytes it is given.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  /// False once the server closed or reset the connection.
  bool send(std::string_view bytes) {
    while (connected_ && !bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return connected_;
  }

  /// Whether the server has sent something (or closed) already.
  bool answered() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  /// What the server sends until it closes the connection or `timeout` passes.
  std::string receive(std::chrono::milliseconds timeout = 10s) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed_ = true;
        return out;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }

  /// The status of the first response in `received`, 0 when there is none.
  static int status_of(const std::string& received) {
    std::smatch m;
    return std::regex_search(received, m, std::regex("^HTTP/1\\.1 (\\d{3}) ")) ? std::stoi(m[1]) : 0;
  }

  bool connected() const { return connected_; }
  /// Whether receive() saw the server close the connection.
  bool closed() const { return closed_; }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
};

/// The peak resident memory of a process (VmHWM), in bytes.
inline std::size_t peak_memory(int pid) {
  std::smatch m;
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  return std::regex_search(status, m, std::regex("VmHWM:\\s+(\\d+) kB")) ? std::stoull(m[1]) * 1024 : 0;
}
