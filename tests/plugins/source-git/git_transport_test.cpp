// The git source against the real servers of tests/env: git daemon, smart
// HTTP with basic auth, sshd with a deploy key and strict host keys; plus a
// silent server (timeouts) and a closed port.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "source_fixture.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

// Default visibility: the sanitizer runtime looks the hook up by name.
extern "C" __attribute__((visibility("default"))) const char* __lsan_default_suppressions() {
  return libgit2_leak_suppressions;
}

namespace {

std::string config(const std::string& url, const std::string& extra = "") {
  return R"({"url": ")" + url + R"(", "ref": {"branch": "main"})" + (extra.empty() ? "" : ", " + extra) + "}";
}

std::string ssh_auth(const std::string& key, const std::string& known_hosts) {
  return R"("auth": {"sshKeyFile": ")" + key + R"(", "knownHostsFile": ")" + known_hosts + R"("})";
}

std::string http_auth(const std::string& user, const std::string& secret_key, const std::string& secret) {
  return R"("auth": {"username": ")" + user + R"(", ")" + secret_key + R"(": ")" + secret + R"("})";
}

// A TCP server that accepts connections and never says a word.
class SilentServer {
 public:
  SilentServer() : fd_(listen_on_loopback(port_)) {}
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int port_ = 0;  // before fd_: the constructor fills it while opening fd_
  int fd_ = -1;
};

int closed_port() {
  SilentServer s;  // bound, then closed: nothing listens there afterwards
  return s.port();
}

}  // namespace

TEST(GitTransport, GitDaemonFetchesTheBranchHeadAsAReadOnlySnapshot) {
  auto env = require_env();
  TestRepo repo("daemon");
  const std::string head = repo.commit({{"clusters/prod/app.yaml", "kind: ConfigMap\n"}, {"README.md", "hi\n"}}, "first commit\n\nbody");
  TempDir state;
  SourceUnderTest source("git", config(env["GIT_DAEMON_URL"] + repo.url_path()), state.path());
  auto artifact = source.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(artifact->revision, "main@sha1:" + head);
  EXPECT_EQ(read_file(artifact->root / "clusters/prod/app.yaml"), "kind: ConfigMap\n");
  EXPECT_EQ(artifact->metadata.at("author"), "Ada Author <ada@example.com>");
  EXPECT_EQ(artifact->metadata.at("committer"), "Carl Committer <carl@example.com>");
  EXPECT_EQ(artifact->metadata.at("message"), "first commit");
  EXPECT_EQ(artifact->metadata.at("signature"), "unsigned (not verified)");
  EXPECT_EQ(artifact->metadata.at("date").size(), 20u);
  // Folder ids are the Git tree ids.
  EXPECT_EQ(artifact->folder_id(""), repo.git({"rev-parse", "HEAD^{tree}"}));
  EXPECT_EQ(artifact->folder_id("clusters/prod"), repo.git({"rev-parse", "HEAD:clusters/prod"}));
  EXPECT_EQ(artifact->folder_ids.size(), 3u);
  // Read-only.
  auto perms = fs::status(artifact->root / "clusters/prod/app.yaml").permissions();
  EXPECT_EQ(perms & fs::perms::owner_write, fs::perms::none);
  EXPECT_EQ(fs::status(artifact->root / "clusters").permissions() & fs::perms::owner_write, fs::perms::none);
}

TEST(GitTransport, SmartHttpWithRightCredentials) {
  auto env = require_env();
  TestRepo repo("http");
  const std::string head = repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  write_file(state / "password", env["GIT_HTTP_PASSWORD"] + "\n");
  SourceUnderTest from_file("git", config(env["GIT_HTTP_URL"] + repo.url_path(),
                                          http_auth(env["GIT_HTTP_USER"], "passwordFile", (state / "password").string())),
                            state / "a");
  auto artifact = from_file.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(artifact->revision, "main@sha1:" + head);

  ::setenv("DRIFTLESS_TEST_GIT_TOKEN", env["GIT_HTTP_PASSWORD"].c_str(), 1);
  SourceUnderTest from_env("git", config(env["GIT_HTTP_URL"] + repo.url_path(),
                                         http_auth(env["GIT_HTTP_USER"], "tokenEnv", "DRIFTLESS_TEST_GIT_TOKEN")),
                           state / "b");
  auto again = from_env.fetch();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->revision, "main@sha1:" + head);
}

TEST(GitTransport, SmartHttpWithWrongOrNoCredentialsIsUnauthorizedAndNeverShowsTheSecret) {
  auto env = require_env();
  TestRepo repo("http-deny");
  repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  write_file(state / "password", "wrong-password-s3cr3t\n");
  SourceUnderTest wrong("git", config(env["GIT_HTTP_URL"] + repo.url_path(),
                                      http_auth(env["GIT_HTTP_USER"], "passwordFile", (state / "password").string())),
                        state / "a");
  auto refused = wrong.fetch();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::unauthorized) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("s3cr3t"), std::string::npos);

  SourceUnderTest anonymous("git", config(env["GIT_HTTP_URL"] + repo.url_path()), state / "b");
  auto none = anonymous.fetch();
  expect_error(none, ErrorCode::unauthorized, "none are configured");
}

TEST(GitTransport, SshWithDeployKeyAndKnownHosts) {
  auto env = require_env();
  TestRepo repo("ssh");
  const std::string head = repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  SourceUnderTest source("git", config(env["GIT_SSH_URL"] + repo.url_path(),
                                       ssh_auth(env["GIT_SSH_KEY"], env["GIT_SSH_KNOWN_HOSTS"])),
                         state.path());
  auto artifact = source.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(artifact->revision, "main@sha1:" + head);
}

TEST(GitTransport, SshAcceptsHashedKnownHostsEntries) {
  auto env = require_env();
  TestRepo repo("ssh-hashed");
  const std::string head = repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  fs::copy_file(env["GIT_SSH_KNOWN_HOSTS"], state / "known_hosts");
  auto hashed = run({"ssh-keygen", "-H", "-f", (state / "known_hosts").string()});
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  ASSERT_EQ(read_file(state / "known_hosts").rfind("|1|", 0), 0u);
  SourceUnderTest source("git", config(env["GIT_SSH_URL"] + repo.url_path(),
                                       ssh_auth(env["GIT_SSH_KEY"], (state / "known_hosts").string())),
                         state / "state");
  auto artifact = source.fetch();
  ASSERT_TRUE(artifact.ok()) << artifact.error().message;
  EXPECT_EQ(artifact->revision, "main@sha1:" + head);
}

TEST(GitTransport, SshRefusesAChangedHostKey) {
  auto env = require_env();
  TestRepo repo("ssh-mitm");
  repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (state / "other").string()}).exit_code, 0);
  std::string other = read_file(state / "other.pub");
  write_file(state / "known_hosts", "[127.0.0.1]:" + env["GIT_SSH_PORT"] + " " + other.substr(0, other.rfind(' ')) + "\n");
  SourceUnderTest source("git", config(env["GIT_SSH_URL"] + repo.url_path(),
                                       ssh_auth(env["GIT_SSH_KEY"], (state / "known_hosts").string())),
                         state / "state");
  auto refused = source.fetch();
  expect_error(refused, ErrorCode::unauthorized, "HOST KEY MISMATCH for [127.0.0.1]:" + env["GIT_SSH_PORT"]);
  EXPECT_NE(refused.error().message.find("SHA256:"), std::string::npos);
}

TEST(GitTransport, SshRefusesAnUnknownHost) {
  auto env = require_env();
  TestRepo repo("ssh-unknown");
  repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  write_file(state / "known_hosts", "# nothing here\ngithub.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
  SourceUnderTest source("git", config(env["GIT_SSH_URL"] + repo.url_path(),
                                       ssh_auth(env["GIT_SSH_KEY"], (state / "known_hosts").string())),
                         state / "state");
  auto refused = source.fetch();
  expect_error(refused, ErrorCode::unauthorized, "unknown host [127.0.0.1]:");
}

TEST(GitTransport, SshWithAKeyTheServerDoesNotKnowIsUnauthorized) {
  auto env = require_env();
  TestRepo repo("ssh-badkey");
  repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (state / "stranger").string()}).exit_code, 0);
  SourceUnderTest source("git", config(env["GIT_SSH_URL"] + repo.url_path(),
                                       ssh_auth((state / "stranger").string(), env["GIT_SSH_KNOWN_HOSTS"])),
                         state / "state");
  auto refused = source.fetch();
  expect_error(refused, ErrorCode::unauthorized, "deploy key");
}

TEST(GitTransport, ASilentServerTimesOutAtTheConfiguredTimeout) {
  SilentServer silent;
  TempDir state;
  for (const std::string& url : {"git://127.0.0.1:" + std::to_string(silent.port()) + "/x.git",
                                "http://127.0.0.1:" + std::to_string(silent.port()) + "/x.git"}) {
    SourceUnderTest source("git", config(url, R"("timeout": "2s")"), state / std::to_string(url.size()));
    const auto start = std::chrono::steady_clock::now();
    auto result = source.fetch();
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.error().code, ErrorCode::timeout) << url << ": " << result.error().message;
    EXPECT_LT(took, std::chrono::seconds(20)) << url;
  }
}

TEST(GitTransport, ASilentSshServerTimesOutToo) {
  SilentServer silent;
  TempDir state;
  write_file(state / "known_hosts", "");
  write_file(state / "key", "");
  SourceUnderTest source("git", config("ssh://git@127.0.0.1:" + std::to_string(silent.port()) + "/x.git",
                                       R"("timeout": "2s", "auth": {"sshKeyFile": ")" + (state / "key").string() +
                                           R"(", "knownHostsFile": ")" + (state / "known_hosts").string() + R"("})"),
                         state / "state");
  const auto start = std::chrono::steady_clock::now();
  auto result = source.fetch();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::timeout) << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(GitTransport, AClosedPortIsUnavailable) {
  TempDir state;
  SourceUnderTest source("git", config("git://127.0.0.1:" + std::to_string(closed_port()) + "/x.git"), state.path());
  auto result = source.fetch();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::unavailable) << result.error().message;
}

TEST(GitTransport, AMissingRepositoryIsNotFound) {
  auto env = require_env();
  TempDir state;
  SourceUnderTest daemon("git", config(env["GIT_DAEMON_URL"] + "no-such-repo.git"), state / "a");
  expect_error(daemon.fetch(), ErrorCode::not_found, "was not found");
  ::setenv("DRIFTLESS_TEST_GIT_PASSWORD", env["GIT_HTTP_PASSWORD"].c_str(), 1);
  SourceUnderTest http("git", config(env["GIT_HTTP_URL"] + "no-such-repo.git",
                                     http_auth(env["GIT_HTTP_USER"], "passwordEnv", "DRIFTLESS_TEST_GIT_PASSWORD")),
                       state / "b");
  expect_error(http.fetch(), ErrorCode::not_found, "was not found");
}

TEST(GitTransport, LocalPathsAndFileUrls) {
  TestRepo repo("local");
  const std::string head = repo.commit({{"a.yaml", "a: 1\n"}}, "one");
  TempDir state;
  SourceUnderTest by_path("git", config(repo.bare().string()), state / "a");
  auto a = by_path.fetch();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->revision, "main@sha1:" + head);
  SourceUnderTest by_url("git", config("file://" + repo.bare().string()), state / "b");
  auto b = by_url.fetch();
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->revision, "main@sha1:" + head);
}

TEST(GitTransport, ConfigMistakesAreRefusedAtCreate) {
  TempDir state;
  SourceUnderTest no_key("git", config("ssh://git@example.com/x.git"), state.path());
  ASSERT_TRUE(no_key.create_error());
  EXPECT_NE(no_key.create_error()->message.find("auth.sshKeyFile"), std::string::npos);
  SourceUnderTest two_refs("git", R"({"url": "https://example.com/x.git", "ref": {"branch": "main", "tag": "v1"}})", state.path());
  ASSERT_TRUE(two_refs.create_error());
  EXPECT_NE(two_refs.create_error()->message.find("exactly one"), std::string::npos);
  SourceUnderTest bad_range("git", R"({"url": "https://example.com/x.git", "ref": {"semver": ">=banana"}})", state.path());
  ASSERT_TRUE(bad_range.create_error());
  SourceUnderTest password_in_url("git", config("https://user:pw@example.com/x.git"), state.path());
  ASSERT_TRUE(password_in_url.create_error());
}
