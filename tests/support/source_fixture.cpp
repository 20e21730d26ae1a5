#include "source_fixture.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "config/plugin_blocks.hpp"

namespace driftless::test {

namespace fs = std::filesystem;

SourceUnderTest::SourceUnderTest(const std::string& type, const std::string& config_json, fs::path state_dir) : type_(type) {
  registry_.load_file(plugin_dir() / ("libdriftless-source-" + type + ".so"));
  services_.registry = &registry_;
  services_.state_dir = std::move(state_dir);
  services_.stop = &stop_;
  const SourceFactory* factory = registry_.source(type);
  if (!factory) {
    create_error_ = fail(ErrorCode::internal, "plugin " + type + " not loaded");
    return;
  }
  auto parsed = parse_json(config_json);
  if (!parsed.ok()) {
    create_error_ = parsed.error();
    return;
  }
  auto config = core::check_plugin_value(factory->config_keys(), *parsed, "the test source");
  if (!config.ok()) {
    create_error_ = config.error();
    return;
  }
  auto created = factory->create(*config);
  if (!created.ok()) {
    create_error_ = created.error();
    return;
  }
  source_ = std::move(*created);
}

Result<Artifact> SourceUnderTest::fetch(const Artifact* previous, std::chrono::seconds timeout) {
  if (!source_) return create_error_ ? *create_error_ : fail(ErrorCode::internal, "no source");
  core::CoreContext context(services_, "", type_, timeout);
  return source_->fetch(context, previous);
}

void expect_error(const Result<Artifact>& result, ErrorCode code, const std::string& fragment) {
  ASSERT_FALSE(result.ok()) << "expected an error containing: " << fragment;
  EXPECT_EQ(to_string(result.error().code), std::string(to_string(code))) << result.error().message;
  EXPECT_NE(result.error().message.find(fragment), std::string::npos) << result.error().message;
}

int listen_on_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(fd, 64);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

std::map<std::string, std::string> require_env() {
  auto env = test_env();
  EXPECT_FALSE(env.empty()) << "the test environment is not up (DRIFTLESS_ENV_DIR)";
  return env;
}

AuthorizedKey::AuthorizedKey(std::filesystem::path authorized_keys, const std::string& public_line)
    : file_(std::move(authorized_keys)), original_(read_file(file_)) {
  std::ofstream(file_, std::ios::app) << "restrict,command=\"git-shell -c \\\"$SSH_ORIGINAL_COMMAND\\\"\" " << public_line;
}

AuthorizedKey::~AuthorizedKey() { write_file(file_, original_); }

TestRepo::TestRepo(const std::string& name) {
  std::random_device rd;
  name_ = name + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000);
  bare_ = fs::path(test_env()["GIT_REPOS_DIR"]) / url_path();
  auto r = run({"git", "init", "-q", "--bare", "-b", "main", bare_.string()}, env());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  git({"init", "-q", "-b", "main"});
  git({"remote", "add", "origin", bare_.string()});
}

TestRepo::~TestRepo() {
  std::error_code ec;
  fs::remove_all(bare_, ec);
}

std::map<std::string, std::string> TestRepo::env() const {
  return {{"HOME", home_.path().string()},
          {"GIT_CONFIG_NOSYSTEM", "1"},
          {"GIT_AUTHOR_NAME", "Ada Author"},
          {"GIT_AUTHOR_EMAIL", "ada@example.com"},
          {"GIT_COMMITTER_NAME", "Carl Committer"},
          {"GIT_COMMITTER_EMAIL", "carl@example.com"},
          {"GNUPGHOME", (home_.path() / "gnupg").string()}};
}

std::string TestRepo::git(const std::vector<std::string>& args, const std::map<std::string, std::string>& extra) {
  std::vector<std::string> argv{"git", "-C", work_.path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto environment = env();
  for (const auto& [k, v] : extra) environment[k] = v;
  auto r = run(argv, environment);
  EXPECT_EQ(r.exit_code, 0) << "git " << args.front() << ": " << r.err;
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string TestRepo::commit(const std::map<std::string, std::string>& files, const std::string& message,
                             const std::string& branch, const std::vector<std::string>& extra_commit_args) {
  for (const auto& [path, content] : files) write_file(work_.path() / path, content);
  git({"add", "-A"});
  std::vector<std::string> args{"commit", "-q", "--allow-empty", "-m", message};
  args.insert(args.end(), extra_commit_args.begin(), extra_commit_args.end());
  git(args);
  git({"push", "-q", "--force", "origin", "HEAD:refs/heads/" + branch});
  return git({"rev-parse", "HEAD"});
}

void remove_read_only(const fs::path& root) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(root, ec);
}

std::string make_tarball(const TempDir& dir, const std::string& entries) {
  const std::string script = "import io, tarfile\nt = tarfile.open('" + (dir / "x.tar.gz").string() + "', 'w:gz')\n"
                             "def f(name, data=b'x: 1\\n', mode=0o644):\n"
                             "    i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; t.addfile(i, io.BytesIO(data))\n"
                             "def d(name):\n    i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)\n"
                             "def l(name, target, kind=tarfile.SYMTYPE):\n"
                             "    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)\n" +
                             entries + "\nt.close()\n";
  write_file(dir / "make.py", script);
  auto r = run({"python3", (dir / "make.py").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return read_file(dir / "x.tar.gz");
}

}  // namespace driftless::test
