#include "chart_repository.hpp"

#include <gtest/gtest.h>

#include "source_fixture.hpp"

namespace driftless::test {
namespace fs = std::filesystem;

namespace {

const char* kServer = R"(import base64, functools, http.server, sys
expected = "Basic " + base64.b64encode(sys.argv[2].encode()).decode() if len(sys.argv) > 2 else None
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if expected and self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
handler = functools.partial(Handler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print("PORT=%d" % server.server_address[1], flush=True)
server.serve_forever()
)";

TempDir& helm_home() {
  static TempDir home;
  return home;
}

}  // namespace

std::map<std::string, std::string>& helm_env() {
  static std::map<std::string, std::string> env = require_env();
  return env;
}

CommandResult helm(std::vector<std::string> args) {
  args.insert(args.begin(), helm_env()["HELM"]);
  args.insert(args.end(), {"--kubeconfig", helm_env()["KUBECONFIG"]});
  return run(args, {{"HOME", helm_home().path().string()}});
}

ChartRepository::ChartRepository(const std::string& username, const std::string& password) {
  fs::create_directories(dir_ / "repo");
  write_file(dir_ / "server.py", kServer);
  std::vector<std::string> command{"python3", (dir_ / "server.py").string(), (dir_ / "repo").string()};
  if (!username.empty()) command.push_back(username + ":" + password);
  server_ = std::make_unique<BackgroundProcess>(command);
  EXPECT_TRUE(server_->wait_for_output("PORT=", std::chrono::seconds(20))) << server_->output();
  const std::string out = server_->output();
  url_ = "http://127.0.0.1:" + out.substr(out.find("PORT=") + 5, out.find('\n', out.find("PORT=")) - out.find("PORT=") - 5);
}

void ChartRepository::add(const std::string& name, const std::string& version, const std::map<std::string, std::string>& templates,
                          const std::string& values, const std::map<std::string, std::string>& files) {
  const fs::path src = dir_ / "src" / (name + "-" + version) / name;
  write_file(src / "Chart.yaml", "apiVersion: v2\nname: " + name + "\nversion: " + version + "\nappVersion: \"" + version + "\"\n");
  write_file(src / "values.yaml", values);
  for (const auto& [file, text] : templates) write_file(src / "templates" / file, text);
  for (const auto& [file, text] : files) write_file(src / file, text);
  auto packaged = helm({"package", src.string(), "--destination", (dir_ / "repo").string()});
  ASSERT_EQ(packaged.exit_code, 0) << packaged.err;
  auto indexed = helm({"repo", "index", (dir_ / "repo").string()});
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
}

void ChartRepository::push_oci(const std::string& name, const std::string& version, const std::string& repository) {
  auto pushed = helm({"push", archive(name, version).string(), helm_env()["OCI_REGISTRY_URL"] + "/" + repository,
                      "--plain-http", "--username", helm_env()["OCI_USER"], "--password", helm_env()["OCI_PASSWORD"]});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
}

}  // namespace driftless::test
