#include "driftless/toolkit/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <sstream>

extern char** environ;

namespace fs = std::filesystem;

namespace driftless {
namespace {

std::vector<std::string> environment_of(const ProcessSpec& spec) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"}};
  for (const auto& name : spec.inherit)
    if (const char* value = std::getenv(name.c_str())) env[name] = value;
  for (const auto& [name, value] : spec.env) env[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
  void close_end(int which) {
    if (fds[which] >= 0) close(fds[which]);
    fds[which] = -1;
  }
};

std::string tool_name(const ProcessSpec& spec) { return fs::path(spec.argv.front()).filename().string(); }

// Whether a failed run died for want of memory: Go says "fatal error: out of
// memory", C programs "Cannot allocate memory" (ENOMEM).
bool ran_out_of_memory(const ProcessSpec& spec, const ProcessResult& result) {
  if (spec.max_memory == 0 || result.exit_code == 0) return false;
  std::string err = result.err;
  for (char& c : err) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return err.find("out of memory") != std::string::npos || err.find("cannot allocate memory") != std::string::npos;
}

// Over RLIMIT_FSIZE a write fails with EFBIG ("file too large"; Go ignores
// SIGXFSZ), or the default SIGXFSZ ends a tool that does not.
// Tools report it on either stream (helm's downloads on stdout).
bool wrote_too_large_a_file(const ProcessSpec& spec, const ProcessResult& result) {
  if (spec.max_file_size == 0 || result.exit_code == 0) return false;
  return result.exit_code == 128 + SIGXFSZ || result.err.find("file too large") != std::string::npos ||
         result.out.find("file too large") != std::string::npos;
}

// The line of the tool's output that says what it could not write.
std::string file_too_large_line(const ProcessResult& result) {
  for (const std::string* text : {&result.err, &result.out}) {
    const auto at = text->find("file too large");
    if (at == std::string::npos) continue;
    const auto start = text->rfind('\n', at);
    std::string line = text->substr(start == std::string::npos ? 0 : start + 1, at + 14 - (start == std::string::npos ? 0 : start + 1));
    line.erase(0, line.find_first_not_of(" \t"));
    return line;
  }
  return "it was stopped by SIGXFSZ";
}

std::string mebibytes(std::size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

// Kills the tool's process group and reaps the tool.
void stop(pid_t pid) {
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<ProcessResult> run_process(const ProcessSpec& spec) {
  if (spec.argv.empty()) return fail(ErrorCode::internal, "run_process: no program given");
  Pipe out, err, failure, in;
  if (pipe2(out.fds, O_CLOEXEC) != 0 || pipe2(err.fds, O_CLOEXEC) != 0 || pipe2(failure.fds, O_CLOEXEC) != 0 ||
      (!spec.input.empty() && pipe2(in.fds, O_CLOEXEC) != 0))
    return fail(ErrorCode::internal, std::string("cannot create pipes: ") + std::strerror(errno));
  if (!spec.input.empty()) {
    // A tool that exits before reading all its input must not kill the daemon.
    static std::once_flag ignore_sigpipe;
    std::call_once(ignore_sigpipe, [] { signal(SIGPIPE, SIG_IGN); });
  }
  std::vector<std::string> argv_strings = spec.argv;
  if (argv_strings.front().find('/') == std::string::npos) {
    auto found = find_tool(argv_strings.front(), "", "");
    if (!found.ok()) return found.error();
    argv_strings.front() = found->string();
  }
  std::vector<std::string> env_strings = environment_of(spec);
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);
  const std::string dir = spec.working_dir.string();

  const pid_t pid = fork();
  if (pid < 0) return fail(ErrorCode::internal, std::string("cannot start a process: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Its own process group so
    // a timeout kills whatever it started, too.
    setpgid(0, 0);
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // no descriptor of the daemon leaks into the tool
    if (in.fds[0] >= 0) {
      dup2(in.fds[0], 0);
    } else {
      int null = open("/dev/null", O_RDONLY);
      if (null >= 0) dup2(null, 0);
    }
    dup2(out.fds[1], 1);
    dup2(err.fds[1], 2);
    int code = 0;
    if (!dir.empty() && chdir(dir.c_str()) != 0) code = errno;
    // RLIMIT_DATA, not RLIMIT_AS: Go reserves far more address space than it
    // uses, and fails at start under a realistic address-space limit.
    const rlimit memory{spec.max_memory, spec.max_memory};
    if (code == 0 && spec.max_memory > 0 && setrlimit(RLIMIT_DATA, &memory) != 0) code = errno;
    const rlimit file_size{spec.max_file_size, spec.max_file_size};
    if (code == 0 && spec.max_file_size > 0 && setrlimit(RLIMIT_FSIZE, &file_size) != 0) code = errno;
    if (code == 0) {
      execve(argv[0], argv.data(), envp.data());
      code = errno;
    }
    (void)!write(failure.fds[1], &code, sizeof code);
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so the group exists before any kill
  out.close_end(1);
  err.close_end(1);
  failure.close_end(1);
  in.close_end(0);

  int exec_error = 0;
  if (read(failure.fds[0], &exec_error, sizeof exec_error) == static_cast<ssize_t>(sizeof exec_error)) {
    stop(pid);
    return fail(ErrorCode::not_found, "cannot run " + spec.argv.front() +
                                          (dir.empty() ? std::string() : " in " + dir) + ": " + std::strerror(exec_error));
  }

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  // The input is written as the tool reads it, so a tool that writes a lot
  // before reading everything can't deadlock us.
  std::size_t written = 0;
  if (in.fds[1] >= 0) fcntl(in.fds[1], F_SETFL, O_NONBLOCK);
  pollfd fds[3] = {{out.fds[0], POLLIN, 0}, {err.fds[0], POLLIN, 0}, {in.fds[1], POLLOUT, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  const char* names[2] = {"stdout", "stderr"};
  int open_streams = 2;
  char buffer[65536];
  while (open_streams > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stop(pid);
      return fail(ErrorCode::timeout, tool_name(spec) + " did not finish within " +
                                          std::to_string(spec.timeout.count() / 1000) + " s and was stopped");
    }
    if (spec.cancelled && spec.cancelled()) {
      stop(pid);
      return fail(ErrorCode::cancelled, tool_name(spec) + " was stopped: the work was cancelled");
    }
    const int ready = poll(fds, 3, static_cast<int>(std::min<long>(left.count(), 200)));
    if (ready < 0 && errno != EINTR) {
      stop(pid);
      return fail(ErrorCode::internal, std::string("poll failed: ") + std::strerror(errno));
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = write(fds[2].fd, spec.input.data() + written, spec.input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = spec.input.size();  // the tool closed its input
      if (written == spec.input.size()) {
        in.close_end(1);
        fds[2].fd = -1;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        fds[i].fd = -1;
        --open_streams;
        continue;
      }
      if (sinks[i]->size() + static_cast<std::size_t>(n) > spec.max_output) {
        stop(pid);
        return fail(ErrorCode::invalid_input, tool_name(spec) + " wrote more than " + std::to_string(spec.max_output) +
                                                  " bytes to " + names[i] + " and was stopped");
      }
      sinks[i]->append(buffer, static_cast<std::size_t>(n));
    }
  }
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return fail(ErrorCode::internal, std::string("waitpid failed: ") + std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      stop(pid);
      return fail(ErrorCode::timeout, tool_name(spec) + " did not exit within " +
                                          std::to_string(spec.timeout.count() / 1000) + " s and was stopped");
    }
    usleep(2000);
  }
  kill(-pid, SIGKILL);  // anything the tool left running in its group
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (ran_out_of_memory(spec, result))
    return fail(ErrorCode::invalid_input, tool_name(spec) + " ran out of memory: it may use at most " +
                                              mebibytes(spec.max_memory) + " (" + std::to_string(spec.max_memory) + " bytes)");
  if (wrote_too_large_a_file(spec, result))
    return fail(ErrorCode::invalid_input, tool_name(spec) + " tried to write a file over " + std::to_string(spec.max_file_size) +
                                              " bytes and was refused: " + file_too_large_line(result));
  return result;
}

Result<fs::path> find_tool(const std::string& name, const std::string& configured, const std::string& config_key) {
  if (!configured.empty()) {
    fs::path p(configured);
    if (access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p)) return p;
    return fail(ErrorCode::not_found, name + " not found at " + configured + " (" + config_key +
                                          "): install " + name + " there or fix " + config_key);
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    if (access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate, ec)) return candidate;
  }
  return fail(ErrorCode::not_found, name + " not found on PATH: install " + name +
                                        (config_key.empty() ? std::string() : " or set " + config_key));
}

Result<std::string> tool_version_line(const fs::path& tool, const std::vector<std::string>& version_args) {
  struct stat st {};
  std::string key = tool.string();
  if (::stat(tool.c_str(), &st) == 0) key += "|" + std::to_string(st.st_size) + "|" + std::to_string(st.st_mtim.tv_sec) +
                                             "." + std::to_string(st.st_mtim.tv_nsec);
  for (const auto& arg : version_args) key += "|" + arg;
  static std::mutex mutex;
  static std::map<std::string, std::string> known;  // key -> the line
  {
    std::lock_guard lock(mutex);
    if (auto it = known.find(key); it != known.end()) return it->second;
  }
  ProcessSpec spec;
  spec.argv.push_back(tool.string());
  spec.argv.insert(spec.argv.end(), version_args.begin(), version_args.end());
  ScratchDir home;
  spec.env["HOME"] = home.path().string();
  spec.timeout = std::chrono::seconds(20);
  spec.max_output = 64 * 1024;
  auto ran = run_process(spec);
  if (!ran.ok()) return ran.error();
  if (ran->exit_code != 0)
    return fail(ErrorCode::unavailable, tool.string() + " failed to report its version: " + ran->err.substr(0, 500));
  std::string line = ran->out.substr(0, ran->out.find('\n'));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  std::lock_guard lock(mutex);
  return known[key] = line;
}

ScratchDir::ScratchDir() {
  std::error_code ec;
  std::string pattern = (fs::temp_directory_path(ec) / "driftless-XXXXXX").string();
  if (mkdtemp(pattern.data())) path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

}  // namespace driftless
