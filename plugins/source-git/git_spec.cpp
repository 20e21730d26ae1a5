#include "git_spec.hpp"

#include <algorithm>

#include "driftless/toolkit/http.hpp"

namespace driftless::git {
namespace {

int default_port(Transport t) {
  switch (t) {
    case Transport::ssh: return 22;
    case Transport::http: return 80;
    case Transport::https: return 443;
    case Transport::git: return 9418;
    case Transport::file: return 0;
  }
  return 0;
}

bool is_hex40(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The ref block as written: one of its keys is set.
struct RefKeys {
  std::string branch, tag, semver, commit;
};

Result<GitRef> ref_of(const RefKeys& keys) {
  GitRef ref;
  int refs = 0;
  for (auto [value, kind] : {std::pair{&keys.branch, RefKind::branch}, {&keys.tag, RefKind::tag},
                             {&keys.semver, RefKind::semver}, {&keys.commit, RefKind::commit}}) {
    if (value->empty()) continue;
    ++refs;
    ref.kind = kind;
    ref.value = *value;
  }
  if (refs != 1)
    return fail(ErrorCode::invalid_input, "'ref' needs exactly one of branch, tag, semver or commit (found " +
                                              std::to_string(refs) + ")");
  if (ref.kind == RefKind::commit && !is_hex40(ref.value))
    return fail(ErrorCode::invalid_input, "ref.commit '" + ref.value + "' must be a full commit id: 40 lowercase hex digits");
  if (ref.kind == RefKind::semver) {
    auto range = SemVerRange::parse(ref.value);
    if (!range.ok()) return fail(ErrorCode::invalid_input, "ref.semver: " + range.error().message);
    ref.range = *range;
  }
  return ref;
}

// The verify block as written: one of the two key files is set.
struct VerifyKeys {
  std::string mode;  ///< "head", the only mode so far
  std::string openpgp_keyring;
  std::string allowed_signers;
};

Result<VerifySpec> verify_of(const VerifyKeys& keys) {
  if (keys.openpgp_keyring.empty() == keys.allowed_signers.empty())
    return fail(ErrorCode::invalid_input, "verify needs exactly one of openpgpKeyring or allowedSigners");
  if (keys.openpgp_keyring.empty()) return VerifySpec{SignatureKind::ssh, keys.allowed_signers};
  return VerifySpec{SignatureKind::openpgp, keys.openpgp_keyring};
}

// Credentials that fit the URL's transport, at most one secret.
Result<void> check_auth(const RemoteUrl& url, const GitAuth& a) {
  const int secrets = !a.password_file.empty() + !a.password_env.empty() + !a.token_file.empty() + !a.token_env.empty();
  const bool http = url.transport == Transport::http || url.transport == Transport::https;
  if (url.transport == Transport::ssh) {
    if (a.ssh_key_file.empty() || a.known_hosts_file.empty())
      return fail(ErrorCode::invalid_input, "url '" + url.text + "' is an ssh URL: set auth.sshKeyFile (the deploy key, "
                                                "see `driftless keygen`) and auth.knownHostsFile (the server's host key)");
    if (secrets > 0) return fail(ErrorCode::invalid_input, "passwords and tokens are for http(s) URLs; ssh uses auth.sshKeyFile");
  } else if (!a.ssh_key_file.empty() || !a.known_hosts_file.empty()) {
    return fail(ErrorCode::invalid_input, "auth.sshKeyFile and auth.knownHostsFile are for ssh URLs; '" + url.text +
                                              "' is not one");
  }
  if (secrets > 1)
    return fail(ErrorCode::invalid_input, "set only one of auth.passwordFile, passwordEnv, tokenFile, tokenEnv");
  if (!http && (secrets > 0 || !a.username.empty()))
    return fail(ErrorCode::invalid_input, "auth.username/password/token are for http(s) URLs; '" + url.text + "' is not one");
  return {};
}

}  // namespace

Result<RemoteUrl> parse_remote_url(const std::string& url) {
  RemoteUrl out;
  out.text = url;
  const std::string shown = redact_url(url);  // messages never show what stood before '@'
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    if (!url.empty() && url[0] == '/') {
      out.transport = Transport::file;
      return out;
    }
    // scp-like: [user@]host:path
    auto colon = url.find(':');
    auto slash = url.find('/');
    if (colon == std::string::npos || (slash != std::string::npos && slash < colon))
      return fail(ErrorCode::invalid_input, "url '" + shown + "' is not a repository URL (ssh://, https://, http://, git://, "
                                                "file://, user@host:path or an absolute path)");
    std::string authority = url.substr(0, colon);
    auto at = authority.rfind('@');
    out.transport = Transport::ssh;
    out.user = at == std::string::npos ? "" : authority.substr(0, at);
    out.host = at == std::string::npos ? authority : authority.substr(at + 1);
    out.port = 22;
    return out;
  }
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme == "ssh" || scheme == "git+ssh") out.transport = Transport::ssh;
  else if (scheme == "https") out.transport = Transport::https;
  else if (scheme == "http") out.transport = Transport::http;
  else if (scheme == "git") out.transport = Transport::git;
  else if (scheme == "file") out.transport = Transport::file;
  else return fail(ErrorCode::invalid_input, "url '" + shown + "': unsupported scheme '" + scheme + "' (use ssh, https, http, git or file)");
  if (out.transport == Transport::file) return out;
  std::string rest = url.substr(scheme_end + 3);
  std::string authority = rest.substr(0, rest.find('/'));
  if (auto at = authority.rfind('@'); at != std::string::npos) {
    out.user = authority.substr(0, at);
    authority = authority.substr(at + 1);
    // An ssh user name is no secret; anything before '@' in other URLs is a
    // password or token (https://TOKEN@host), which would show in messages.
    if (out.user.find(':') != std::string::npos || out.transport != Transport::ssh)
      return fail(ErrorCode::invalid_input, "url '" + shown + "' must not carry credentials before '@'; use auth.username "
                                            "with auth.tokenFile, auth.passwordFile or their Env keys");
  }
  out.port = default_port(out.transport);
  if (!authority.empty() && authority[0] == '[') {  // [::1]:22
    auto close = authority.find(']');
    out.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority[0] == ':') authority = "x" + authority;
    else authority.clear();
  } else {
    out.host = authority.substr(0, authority.find(':'));
  }
  if (auto colon = authority.find(':'); colon != std::string::npos) {
    try {
      out.port = std::stoi(authority.substr(colon + 1));
    } catch (const std::exception&) {
      return fail(ErrorCode::invalid_input, "url '" + shown + "' has a port that is not a number");
    }
  }
  if (out.host.empty()) return fail(ErrorCode::invalid_input, "url '" + shown + "' has no host");
  return out;
}

const SettingsSchema<GitSpec>& git_schema() {
  static const auto schema =
      SettingsSchema<GitSpec>()
          .key(ConfigKey("url", ConfigType::string,
                         "Repository URL: ssh://git@host/org/repo.git, git@host:org/repo.git, https://..., http://..., "
                         "git://..., file:///path or /path.")
                   .required(),
               &GitSpec::url, parse_remote_url)
          .block(ConfigKey("ref", ConfigType::object, "What to follow; exactly one of branch, tag, semver, commit.").required(),
                 &GitSpec::ref,
                 SettingsSchema<RefKeys>()
                     .key(ConfigKey("branch", ConfigType::string, "Follow the head of this branch; HEAD: of the branch the server's HEAD is on."), &RefKeys::branch)
                     .key(ConfigKey("tag", ConfigType::string, "Follow this tag (moved tags are followed too)."), &RefKeys::tag)
                     .key(ConfigKey("semver", ConfigType::string,
                                    "Follow the highest tag inside this version range, e.g. '>=1.0.0 <2.0.0', '^1.2', "
                                    "'~1.2.3', '1.x', '*'."),
                          &RefKeys::semver)
                     .key(ConfigKey("commit", ConfigType::string, "Pin this exact commit (40 hex digits)."), &RefKeys::commit),
                 ref_of)
          .block(ConfigKey("auth", ConfigType::object, "Credentials; secrets are read from files or variables at every fetch."),
                 &GitSpec::auth,
                 SettingsSchema<GitAuth>()
                     .key(ConfigKey("sshKeyFile", ConfigType::path,
                                    "Private key for ssh URLs (OpenSSH format, unencrypted), e.g. from `driftless keygen`."),
                          &GitAuth::ssh_key_file)
                     .key(ConfigKey("knownHostsFile", ConfigType::path,
                                    "known_hosts file holding the SSH server's host key; required for ssh URLs (strict "
                                    "checking)."),
                          &GitAuth::known_hosts_file)
                     .key(ConfigKey("username", ConfigType::string, "User name for HTTP(S) basic auth (default: 'git')."),
                          &GitAuth::username)
                     .key(ConfigKey("passwordFile", ConfigType::path, "File whose first line is the HTTP(S) password."),
                          &GitAuth::password_file)
                     .key(ConfigKey("passwordEnv", ConfigType::string, "Environment variable holding the HTTP(S) password."),
                          &GitAuth::password_env)
                     .key(ConfigKey("tokenFile", ConfigType::path,
                                    "File whose first line is an access token (sent as the basic-auth password, as "
                                    "GitHub/GitLab/Gitea expect)."),
                          &GitAuth::token_file)
                     .key(ConfigKey("tokenEnv", ConfigType::string, "Environment variable holding an access token."),
                          &GitAuth::token_env))
          .block(ConfigKey("verify", ConfigType::object, "Commit signature verification; off when absent."), &GitSpec::verify,
                 SettingsSchema<VerifyKeys>()
                     .key(ConfigKey("mode", ConfigType::string,
                                    "'head': the commit to apply must carry a good signature by an allowed key.")
                              .default_to("head")
                              .one_of({"head"}),
                          &VerifyKeys::mode)
                     .key(ConfigKey("openpgpKeyring", ConfigType::path,
                                    "OpenPGP public keys allowed to sign (binary keyring or ASCII-armored export)."),
                          &VerifyKeys::openpgp_keyring)
                     .key(ConfigKey("allowedSigners", ConfigType::path,
                                    "SSH allowed_signers file (as for `git config gpg.ssh.allowedSignersFile`)."),
                          &VerifyKeys::allowed_signers),
                 verify_of)
          .key(ConfigKey("timeout", ConfigType::duration, "Limit for every network operation (connect, list refs, fetch).")
                   .default_to(std::int64_t{60000}),
               &GitSpec::timeout)
          .key(ConfigKey("keepSnapshots", ConfigType::integer, "How many checked-out revisions to keep on disk.")
                   .default_to(std::int64_t{3}),
               &GitSpec::keep_snapshots, Minimum::at_least(1));
  return schema;
}

Result<GitSpec> parse_git_spec(const Value& config) {
  auto spec = git_schema().read(config);
  if (!spec.ok()) return spec.error();
  if (auto auth = check_auth(spec->url, spec->auth); !auth.ok()) return auth.error();
  return spec;
}

}  // namespace driftless::git
