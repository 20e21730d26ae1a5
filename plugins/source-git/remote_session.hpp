// One conversation with a Git server through libgit2: list its refs (one
// round trip) and, when needed, fetch into the mirror on the same connection.
// Credentials come from files/variables named in the spec, SSH host keys are
// checked strictly against known_hosts, and a watchdog enforces the deadline
// even while libgit2 is blocked in the network (see remote_session.cpp).
#pragma once

#include <git2.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "driftless/context.hpp"
#include "git_spec.hpp"
#include "known_hosts.hpp"
#include "refs.hpp"

namespace driftless::git {

/// Why a libgit2 call failed, in terms the source can act on.
struct GitFailure {
  Error error;
  bool mirror_damaged = false;  ///< the local mirror, not the server, is at fault: re-clone
};

/// Blocks SIGPIPE on this thread while libgit2 writes to sockets (it sends
/// without MSG_NOSIGNAL, and a server that hangs up, or the watchdog's
/// shutdown, must not kill the daemon); a SIGPIPE raised meanwhile is drained.
class SigpipeBlock {
 public:
  SigpipeBlock();
  ~SigpipeBlock();
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t previous_;
  bool was_pending_ = false;
};

class RemoteSession {
 public:
  RemoteSession(git_repository* mirror, const GitSpec& spec, Context& context);
  ~RemoteSession();
  RemoteSession(const RemoteSession&) = delete;
  RemoteSession& operator=(const RemoteSession&) = delete;

  /// Connects and returns the advertised refs.
  Result<AdvertisedRefs> list();
  /// Fetches `refspecs` into the mirror (after list()).
  Result<void> fetch(const std::vector<std::string>& refspecs);
  /// Details of the last failure of list() or fetch().
  const GitFailure& failure() const { return failure_; }

 private:
  static int on_credentials(git_credential** out, const char* url, const char* user_from_url, unsigned int allowed,
                            void* payload);
  static int on_certificate(git_cert* cert, int valid, const char* host, void* payload);
  static int on_transfer(const git_indexer_progress* stats, void* payload);
  static int on_sideband(const char* text, int length, void* payload);
  git_remote_callbacks callbacks();
  bool should_stop();
  Error describe(int code, const std::string& doing, bool writing_mirror);
  void watch();

  git_repository* mirror_;
  const GitSpec& spec_;
  Context& context_;
  git_remote* remote_ = nullptr;
  std::chrono::steady_clock::time_point deadline_;
  int credential_requests_ = 0;
  std::string auth_problem_;
  std::string hostkey_problem_;
  std::vector<KnownHost> known_hosts_;
  GitFailure failure_;
  SigpipeBlock sigpipe_;

  // Watchdog: at the deadline (or on cancellation) it stops libgit2 and shuts
  // down the sockets this session opened, so a silent server cannot hang us.
  std::set<std::string> sockets_before_;
  std::atomic<bool> expired_{false};
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread watchdog_;
};

}  // namespace driftless::git
