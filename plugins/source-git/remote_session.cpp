#include "remote_session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "driftless/toolkit/secrets.hpp"

namespace driftless::git {
namespace {

namespace fs = std::filesystem;

// "socket:[inode]" entries of /proc/self/fd as "fd socket:[inode]".
std::set<std::string> open_sockets() {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    auto target = fs::read_symlink(entry.path(), ec);
    if (!ec && target.string().rfind("socket:", 0) == 0) out.insert(entry.path().filename().string() + " " + target.string());
  }
  return out;
}

int peer_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return -1;
}

// Name of the key type inside an SSH public key blob (its first string).
std::string key_type_of(const std::string& blob) {
  if (blob.size() < 4) return "unknown";
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  std::size_t length = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) | (std::size_t{b[2]} << 8) | b[3];
  return length + 4 <= blob.size() ? blob.substr(4, length) : "unknown";
}

std::string last_git_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

}  // namespace

SigpipeBlock::SigpipeBlock() {
  sigset_t pending, block;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &previous_);
}

SigpipeBlock::~SigpipeBlock() {
  if (!was_pending_) {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    const timespec now{0, 0};
    while (sigtimedwait(&pipe, nullptr, &now) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

RemoteSession::RemoteSession(git_repository* mirror, const GitSpec& spec, Context& context)
    : mirror_(mirror), spec_(spec), context_(context) {
  deadline_ = std::min(context.deadline(), std::chrono::steady_clock::now() + spec.timeout);
  if (spec.url.transport != Transport::file) sockets_before_ = open_sockets();
  watchdog_ = std::thread([this] { watch(); });
}

RemoteSession::~RemoteSession() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
  if (remote_) {
    git_remote_disconnect(remote_);
    git_remote_free(remote_);
  }
}

void RemoteSession::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!done_) {
    if (std::chrono::steady_clock::now() >= deadline_) expired_ = true;
    else if (context_.cancelled()) cancelled_ = true;
    if (expired_ || cancelled_) break;
    wake_.wait_for(lock, std::chrono::milliseconds(100));
  }
  if (done_) return;
  if (remote_) git_remote_stop(remote_);
  if (spec_.url.transport == Transport::file) return;
  for (const auto& socket : open_sockets()) {
    if (sockets_before_.count(socket)) continue;
    const int fd = std::stoi(socket.substr(0, socket.find(' ')));
    if (peer_port(fd) == spec_.url.port) ::shutdown(fd, SHUT_RDWR);
  }
}

bool RemoteSession::should_stop() { return expired_ || cancelled_ || std::chrono::steady_clock::now() >= deadline_; }

int RemoteSession::on_credentials(git_credential** out, const char*, const char* user_from_url, unsigned int allowed,
                                  void* payload) {
  auto* self = static_cast<RemoteSession*>(payload);
  const GitAuth& auth = self->spec_.auth;
  const std::string user = user_from_url && *user_from_url ? user_from_url : (auth.username.empty() ? "git" : auth.username);
  if (allowed & GIT_CREDENTIAL_USERNAME) return git_credential_username_new(out, user.c_str());
  if (++self->credential_requests_ > 1) {
    // libgit2 asks again after a refusal: the credentials were rejected.
    self->auth_problem_ = self->spec_.url.transport == Transport::ssh
                              ? "the server refused the SSH key " + auth.ssh_key_file + " for user '" + user +
                                    "': is its public half registered (e.g. as a deploy key) for this repository?"
                              : "the server refused the credentials for user '" + user + "'";
    git_error_set_str(GIT_ERROR_CALLBACK, self->auth_problem_.c_str());
    return GIT_EAUTH;
  }
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !auth.ssh_key_file.empty()) {
    const std::string public_key = auth.ssh_key_file + ".pub";
    std::error_code ec;
    const bool has_public = fs::exists(public_key, ec);
    return git_credential_ssh_key_new(out, user.c_str(), has_public ? public_key.c_str() : nullptr, auth.ssh_key_file.c_str(), "");
  }
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
    const bool token = !auth.token_file.empty() || !auth.token_env.empty();
    const bool password = !auth.password_file.empty() || !auth.password_env.empty();
    if (token || password) {
      auto secret = token ? read_secret(auth.token_file, auth.token_env) : read_secret(auth.password_file, auth.password_env);
      if (!secret.ok()) {
        self->auth_problem_ = secret.error().message;
        git_error_set_str(GIT_ERROR_CALLBACK, self->auth_problem_.c_str());
        return GIT_EAUTH;
      }
      return git_credential_userpass_plaintext_new(out, user.c_str(), secret->c_str());
    }
  }
  self->auth_problem_ = "the server asks for credentials and none are configured (set auth.passwordFile, passwordEnv, "
                        "tokenFile or tokenEnv for http(s), auth.sshKeyFile for ssh)";
  git_error_set_str(GIT_ERROR_CALLBACK, self->auth_problem_.c_str());
  return GIT_EAUTH;
}

int RemoteSession::on_certificate(git_cert* cert, int, const char* host, void* payload) {
  auto* self = static_cast<RemoteSession*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;  // TLS: libgit2's own verification
  const auto* hostkey = reinterpret_cast<const git_cert_hostkey*>(cert);
  if (!(hostkey->type & GIT_CERT_SSH_RAW)) {
    self->hostkey_problem_ = "the SSH library did not provide the raw host key; cannot check it against known_hosts";
    git_error_set_str(GIT_ERROR_SSH, self->hostkey_problem_.c_str());
    return GIT_ECERTIFICATE;
  }
  const std::string key(hostkey->hostkey, hostkey->hostkey_len);
  auto checked = check_host_key(self->known_hosts_, self->spec_.auth.known_hosts_file, host, self->spec_.url.port,
                                key_type_of(key), key);
  if (checked.ok()) return 0;
  self->hostkey_problem_ = checked.error().message;
  git_error_set_str(GIT_ERROR_SSH, self->hostkey_problem_.c_str());
  return GIT_ECERTIFICATE;
}

int RemoteSession::on_transfer(const git_indexer_progress*, void* payload) {
  auto* self = static_cast<RemoteSession*>(payload);
  if (!self->should_stop()) return 0;
  git_error_set_str(GIT_ERROR_CALLBACK, "stopped at the deadline");
  return -1;
}

int RemoteSession::on_sideband(const char*, int, void* payload) { return on_transfer(nullptr, payload); }

git_remote_callbacks RemoteSession::callbacks() {
  git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
  cb.credentials = &RemoteSession::on_credentials;
  cb.certificate_check = &RemoteSession::on_certificate;
  cb.transfer_progress = &RemoteSession::on_transfer;
  cb.sideband_progress = &RemoteSession::on_sideband;
  cb.payload = this;
  return cb;
}

Error RemoteSession::describe(int code, const std::string& doing, bool writing_mirror) {
  const std::string url = spec_.url.text;
  const std::string detail = last_git_error();
  failure_ = {};
  if (expired_ || std::chrono::steady_clock::now() >= deadline_) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(spec_.timeout).count();
    return failure_.error = fail(ErrorCode::timeout, doing + " " + url + " did not finish within its time limit (timeout " +
                                                         std::to_string(seconds) + "s or the reconcile deadline); "
                                                         "the server may be unreachable or stalled");
  }
  if (cancelled_) return failure_.error = fail(ErrorCode::cancelled, doing + " " + url + " was cancelled");
  if (!hostkey_problem_.empty()) return failure_.error = fail(ErrorCode::unauthorized, hostkey_problem_);
  if (!auth_problem_.empty() || code == GIT_EAUTH || contains(detail, "authentication") ||
      contains(detail, "status code: 401"))
    return failure_.error = fail(ErrorCode::unauthorized, "authentication to " + url + " failed: " +
                                                              (auth_problem_.empty() ? detail : auth_problem_));
  const bool missing = contains(detail, "status code: 404") || contains(detail, "not found") || contains(detail, "not exported") ||
                       contains(detail, "no such repository") || contains(detail, "could not find repository") ||
                       contains(detail, "does not appear to be a git repository");
  if (!writing_mirror && missing)
    return failure_.error = fail(ErrorCode::not_found, "repository " + url + " was not found: " + detail);
  const git_error* e = git_error_last();
  const int klass = e ? e->klass : GIT_ERROR_NONE;
  const bool network = klass == GIT_ERROR_NET || klass == GIT_ERROR_SSH || klass == GIT_ERROR_HTTP ||
                       klass == GIT_ERROR_SSL || klass == GIT_ERROR_CALLBACK;
  if (network || !writing_mirror)
    return failure_.error = fail(ErrorCode::unavailable, doing + " " + url + " failed: " + detail);
  // Reading or writing our own objects and refs failed: the mirror is damaged.
  failure_.mirror_damaged = true;
  return failure_.error = fail(ErrorCode::internal, doing + " " + url + " failed in the local mirror: " + detail);
}

Result<AdvertisedRefs> RemoteSession::list() {
  if (spec_.url.transport == Transport::ssh) {
    auto hosts = read_known_hosts(spec_.auth.known_hosts_file);
    if (!hosts.ok()) return hosts.error();
    known_hosts_ = std::move(*hosts);
    std::error_code ec;
    if (!fs::exists(spec_.auth.ssh_key_file, ec))
      return fail(ErrorCode::invalid_input, "auth.sshKeyFile " + spec_.auth.ssh_key_file + " does not exist");
  }
  git_remote* remote = nullptr;
  // In memory, and the URL as configured: no url.<base>.insteadOf rewriting
  // (which, in libgit2 1.5, also leaks its regex match data).
  git_remote_create_options options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  options.repository = mirror_;
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  int rc = git_remote_create_with_opts(&remote, spec_.url.text.c_str(), &options);
  if (rc < 0) return describe(rc, "opening", false);
  {
    std::lock_guard<std::mutex> lock(mutex_);  // the watchdog reads remote_
    remote_ = remote;
  }
  git_remote_callbacks cb = callbacks();
  git_proxy_options proxy = GIT_PROXY_OPTIONS_INIT;
  proxy.type = GIT_PROXY_AUTO;
  rc = git_remote_connect(remote_, GIT_DIRECTION_FETCH, &cb, &proxy, nullptr);
  if (rc < 0) return describe(rc, "connecting to", false);
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  rc = git_remote_ls(&heads, &count, remote_);
  if (rc < 0) return describe(rc, "listing refs of", false);
  AdvertisedRefs out;
  for (size_t i = 0; i < count; ++i) {
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &heads[i]->oid);
    out[heads[i]->name] = hex;
  }
  return out;
}

Result<void> RemoteSession::fetch(const std::vector<std::string>& refspecs) {
  std::vector<char*> specs;
  for (const auto& s : refspecs) specs.push_back(const_cast<char*>(s.c_str()));
  git_strarray array{specs.data(), specs.size()};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = callbacks();
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  options.proxy_opts.type = GIT_PROXY_AUTO;
  int rc = git_remote_fetch(remote_, &array, &options, "driftless fetch");
  if (rc < 0) return describe(rc, "fetching from", true);
  return {};
}

}  // namespace driftless::git
