#include "driftless/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace driftless {
namespace {

// Closes a descriptor once.
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::vector<std::string> child_environment(const ProcessRequest& request) {
  const char* path = std::getenv("PATH");
  std::map<std::string, std::string> env{{"PATH", path && *path ? path : "/usr/local/bin:/usr/bin:/bin"}, {"LC_ALL", "C"}};
  for (const auto& [key, value] : request.env) env[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<ProcessResult> run_process(const ProcessRequest& request) {
  if (request.argv.empty()) return fail(ErrorCode::internal, "run_process: empty argv");
  const std::string& program = request.argv.front();
  // stdin is a socket so that writing to a child that exited gives EPIPE
  // (MSG_NOSIGNAL) instead of a SIGPIPE for the whole daemon.
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
    return fail(ErrorCode::internal, std::string("socketpair: ") + std::strerror(errno));
  Fd in_parent, in_child, out_read, out_write, err_read, err_write;
  in_parent.fd = in_pair[0];
  in_child.fd = in_pair[1];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    return fail(ErrorCode::internal, std::string("pipe: ") + std::strerror(errno));
  out_read.fd = out_pipe[0];
  out_write.fd = out_pipe[1];
  err_read.fd = err_pipe[0];
  err_write.fd = err_pipe[1];

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_child.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, 2);
  if (!request.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, request.cwd.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);  // own group: a timeout kills its children too
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = request.argv;
  std::vector<std::string> env = child_environment(request);
  auto argv = pointers(args);
  auto envp = pointers(env);
  pid_t pid = -1;
  int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    if (spawned == ENOENT) return fail(ErrorCode::not_found, "'" + program + "' was not found in PATH; install it");
    return fail(ErrorCode::internal, "cannot start '" + program + "': " + std::strerror(spawned));
  }
  in_child.reset();
  out_write.reset();
  err_write.reset();

  ProcessResult result;
  std::size_t written = 0;
  if (request.input.empty()) in_parent.reset();
  std::string problem;
  ErrorCode problem_code = ErrorCode::internal;
  while (out_read.fd >= 0 || err_read.fd >= 0) {
    if (std::chrono::steady_clock::now() > request.deadline) {
      problem = "'" + program + "' did not finish before its deadline and was killed";
      problem_code = ErrorCode::timeout;
      break;
    }
    if (request.cancelled && request.cancelled()) {
      problem = "'" + program + "' was stopped: the work was cancelled";
      problem_code = ErrorCode::cancelled;
      break;
    }
    pollfd fds[3] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}, {in_parent.fd, POLLOUT, 0}};
    if (::poll(fds, 3, 100) < 0 && errno != EINTR) break;
    Fd* readers[2] = {&out_read, &err_read};
    std::string* sinks[2] = {&result.out, &result.err};
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[65536];
      ssize_t n = ::read(readers[i]->fd, buffer, sizeof buffer);
      if (n <= 0) {
        readers[i]->reset();
        continue;
      }
      sinks[i]->append(buffer, static_cast<std::size_t>(n));
      if (sinks[i]->size() > request.max_output) {
        problem = "'" + program + "' wrote more than " + std::to_string(request.max_output) + " bytes and was killed";
        problem_code = ErrorCode::invalid_input;
      }
    }
    if (!problem.empty()) break;
    if (in_parent.fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::send(in_parent.fd, request.input.data() + written, request.input.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR) in_parent.reset();  // the child stopped reading
      if (n > 0) written += static_cast<std::size_t>(n);
      if (written == request.input.size()) in_parent.reset();
    }
  }
  if (!problem.empty()) ::kill(-pid, SIGKILL);
  in_parent.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!problem.empty()) return fail(problem_code, problem);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace driftless
