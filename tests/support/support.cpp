#include "support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "log/logging.hpp"

namespace driftless::test {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("driftless-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

// Starts argv with extra environment variables, stdin from /dev/null, stdout
// and stderr into files (the same file when both paths are equal).
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::filesystem::path& out_file, const std::filesystem::path& err_file) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err = err_file == out_file ? out : ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(out, 1);
  ::dup2(err, 2);
  int in = ::open("/dev/null", O_RDONLY);
  ::dup2(in, 0);
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

}  // namespace

CommandResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  TempDir capture;
  const auto out_file = capture / "out", err_file = capture / "err";
  const pid_t pid = spawn(argv, env, out_file, err_file);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_file);
  result.err = read_file(err_file);
  return result;
}

std::string tools_path() {
  std::map<std::string, std::string> versions;
  std::ifstream in(source_dir() / "tests/env/versions.sh");
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq == std::string::npos || line[0] == '#') continue;
    std::string value = line.substr(eq + 1);
    value = value.substr(0, value.find_first_of(" \t#"));
    versions[line.substr(0, eq)] = value;
  }
  const char* cache_env = std::getenv("DRIFTLESS_TOOLS_CACHE");
  const char* home = std::getenv("HOME");
  const std::filesystem::path cache =
      cache_env && *cache_env ? std::filesystem::path(cache_env) : std::filesystem::path(home ? home : "/root") / ".cache/driftless/tools";
  std::string path;
  for (const auto& [tool, key] : {std::pair<std::string, std::string>{"kustomize", "KUSTOMIZE_VERSION"},
                                  {"helm", "HELM_VERSION"}, {"kubernetes", "KUBERNETES_VERSION"}})
    path += (path.empty() ? "" : ":") + (cache / (tool + "-" + versions[key]) / "bin").string();
  return path;
}

CommandResult run_driftless(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{DRIFTLESS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto with_tools = env;
  if (!with_tools.count("PATH")) {
    const char* path = std::getenv("PATH");
    with_tools["PATH"] = tools_path() + ":" + (path ? path : "/usr/bin:/bin");
  }
  return run(argv, with_tools);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                     std::filesystem::path log)
    : log_(log.empty() ? dir_ / "output" : std::move(log)), pid_(spawn(argv, env, log_, log_)) {}

std::vector<std::string> BackgroundProcess::driftless_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{DRIFTLESS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

BackgroundProcess::~BackgroundProcess() {
  if (exit_code_ >= 0 || pid_ <= 0) return;
  signal(SIGTERM);
  if (wait(std::chrono::seconds(20)) < 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void BackgroundProcess::signal(int sig) const {
  if (exit_code_ < 0) ::kill(pid_, sig);
}

int BackgroundProcess::wait(std::chrono::seconds timeout) {
  if (exit_code_ >= 0) return exit_code_;
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

std::string BackgroundProcess::output() const { return read_file(log_); }

bool BackgroundProcess::wait_for_output(const std::string& text, std::chrono::seconds timeout) const {
  return eventually([&] { return output().find(text) != std::string::npos; }, timeout);
}

bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

std::filesystem::path plugin_dir() { return DRIFTLESS_TEST_PLUGIN_DIR; }
std::filesystem::path source_dir() { return DRIFTLESS_SOURCE_DIR; }

const core::PluginRegistry& plugins() {
  static core::PluginRegistry* registry = [] {
    auto* r = new core::PluginRegistry();
    r->load_directory(plugin_dir());
    return r;
  }();
  return *registry;
}

TestContext::TestContext() : deadline_at(std::chrono::steady_clock::now() + std::chrono::minutes(5)) {}

Logger& TestContext::logger() { return core::process_logger(); }

Result<Artifact> TestContext::fetch_source(std::string_view type, const Value& spec) {
  const SourceFactory* factory = plugins().source(std::string(type));
  if (!factory) return fail(ErrorCode::not_found, "no source plugin " + std::string(type));
  auto source = factory->create(spec);
  if (!source.ok()) return source.error();
  return (*source)->fetch(*this, nullptr);
}

std::map<std::string, std::string> test_env() {
  std::map<std::string, std::string> values;
  const char* dir = std::getenv("DRIFTLESS_ENV_DIR");
  if (!dir) return values;
  std::ifstream in(std::filesystem::path(dir) / "env");
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

HttpClientOptions apiserver_admin_options(const std::map<std::string, std::string>& env) {
  const auto ca = env.find("KUBE_CA_FILE");
  const auto pki = ca == env.end() ? std::filesystem::path() : std::filesystem::path(ca->second).parent_path();
  HttpClientOptions options;
  options.tls.ca_file = ca == env.end() ? "" : ca->second;
  options.tls.client_cert_file = (pki / "admin.crt").string();
  options.tls.client_key_file = (pki / "admin.key").string();
  return options;
}

}  // namespace driftless::test
