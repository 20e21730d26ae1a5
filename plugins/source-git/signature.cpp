#include "signature.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "driftless/toolkit/process.hpp"

namespace driftless::git {
namespace {

namespace fs = std::filesystem;

struct SignedCommit {
  std::string signature;
  std::string data;
};

std::optional<SignedCommit> extract(git_repository* repository, const git_oid* commit) {
  git_buf signature = GIT_BUF_INIT;
  git_buf data = GIT_BUF_INIT;
  const bool is_signed = git_commit_extract_signature(&signature, &data, repository, const_cast<git_oid*>(commit), nullptr) == 0;
  std::optional<SignedCommit> out;
  if (is_signed) out = SignedCommit{std::string(signature.ptr, signature.size), std::string(data.ptr, data.size)};
  git_buf_dispose(&signature);  // filled partly even when there is no signature
  git_buf_dispose(&data);
  return out;
}

std::string kind_of(const std::string& signature) {
  if (signature.rfind("-----BEGIN SSH SIGNATURE-----", 0) == 0) return "ssh";
  if (signature.rfind("-----BEGIN PGP SIGNATURE-----", 0) == 0) return "openpgp";
  return "unknown";
}

void write(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary);
  out << content;
}

std::string read(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.empty() ? "(no output)" : line;
}

Result<ProcessResult> run(std::vector<std::string> argv, std::string input, Context& context,
                          std::chrono::steady_clock::time_point deadline, std::map<std::string, std::string> env = {}) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.input = std::move(input);
  spec.env = std::move(env);
  spec.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  spec.cancelled = [&context] { return context.cancelled(); };
  return run_process(spec);
}

Result<std::string> verify_openpgp(const SignedCommit& commit, const std::string& keyring, const ScratchDir& temp,
                                   Context& context, std::chrono::steady_clock::time_point deadline) {
  std::string keys = read(keyring);
  if (keys.empty()) return fail(ErrorCode::invalid_input, "verify.openpgpKeyring " + keyring + " is missing or empty");
  const std::map<std::string, std::string> env{{"GNUPGHOME", temp.path().string()}, {"HOME", temp.path().string()}};
  if (keys.rfind("-----BEGIN PGP", 0) == 0) {  // ASCII-armored export: gpgv wants the binary form
    auto dearmored = run({"gpg", "--batch", "--dearmor"}, keys, context, deadline, env);
    if (!dearmored.ok()) return dearmored.error();
    if (dearmored->exit_code != 0)
      return fail(ErrorCode::invalid_input, "verify.openpgpKeyring " + keyring + " is not a readable OpenPGP key export: " +
                                                first_line(dearmored->err));
    keys = dearmored->out;
  }
  write(temp.path() / "keyring.gpg", keys);
  write(temp.path() / "commit.sig", commit.signature);
  write(temp.path() / "commit.data", commit.data);
  auto checked = run({"gpgv", "--homedir", temp.path().string(), "--keyring", (temp.path() / "keyring.gpg").string(),
                      "--status-fd", "1", (temp.path() / "commit.sig").string(), (temp.path() / "commit.data").string()},
                     "", context, deadline, env);
  if (!checked.ok()) return checked.error();
  std::istringstream status(checked->out);
  std::string line;
  std::string fingerprint;
  std::string reason;
  while (std::getline(status, line)) {
    if (line.rfind("[GNUPG:] VALIDSIG ", 0) == 0) fingerprint = line.substr(18, line.find(' ', 18) - 18);
    if (line.rfind("[GNUPG:] NO_PUBKEY", 0) == 0) reason = "it was made by a key that is not in the keyring";
    if (line.rfind("[GNUPG:] BADSIG", 0) == 0) reason = "the signature does not match the commit (BAD signature)";
    if (line.rfind("[GNUPG:] EXPKEYSIG", 0) == 0) reason = "the signing key has expired";
    if (line.rfind("[GNUPG:] REVKEYSIG", 0) == 0) reason = "the signing key was revoked";
  }
  if (checked->exit_code == 0 && !fingerprint.empty()) return "openpgp key " + fingerprint;
  return fail(ErrorCode::unauthorized, reason.empty() ? "gpgv refused it: " + first_line(checked->err) : reason);
}

Result<std::string> verify_ssh(const SignedCommit& commit, const std::string& allowed_signers, const ScratchDir& temp,
                               Context& context, std::chrono::steady_clock::time_point deadline) {
  std::error_code ec;
  if (!fs::exists(allowed_signers, ec))
    return fail(ErrorCode::invalid_input, "verify.allowedSigners " + allowed_signers + " does not exist");
  const std::string signature_file = (temp.path() / "commit.sig").string();
  write(signature_file, commit.signature);
  auto principals = run({"ssh-keygen", "-Y", "find-principals", "-f", allowed_signers, "-s", signature_file}, "", context, deadline);
  if (!principals.ok()) return principals.error();
  if (principals->exit_code != 0 || principals->out.empty())
    return fail(ErrorCode::unauthorized, "it was made by a key that is not in allowedSigners");
  const std::string principal = principals->out.substr(0, principals->out.find('\n'));
  auto checked = run({"ssh-keygen", "-Y", "verify", "-f", allowed_signers, "-I", principal, "-n", "git", "-s", signature_file},
                     commit.data, context, deadline);
  if (!checked.ok()) return checked.error();
  if (checked->exit_code != 0)
    return fail(ErrorCode::unauthorized, "ssh-keygen refused it: " + first_line(checked->err + checked->out));
  return "ssh principal " + principal + " (" + first_line(checked->out) + ")";
}

}  // namespace

std::string signature_kind(git_repository* repository, const git_oid* commit) {
  auto signed_commit = extract(repository, commit);
  return signed_commit ? kind_of(signed_commit->signature) : "unsigned";
}

Result<std::string> verify_commit(git_repository* repository, const git_oid* commit, const VerifySpec& verify, Context& context,
                                  std::chrono::steady_clock::time_point deadline) {
  char id[GIT_OID_HEXSZ + 1];
  git_oid_tostr(id, sizeof id, commit);
  const std::string wanted = verify.kind == SignatureKind::openpgp ? "openpgp" : "ssh";
  auto refuse = [&](const std::string& reason) {
    return fail(ErrorCode::unauthorized, std::string("commit ") + id + " was not applied: " + reason + " (verify mode head, " +
                                             wanted + " keys from " + verify.keys_file + ")");
  };
  auto signed_commit = extract(repository, commit);
  if (!signed_commit) return refuse("it is not signed");
  const std::string kind = kind_of(signed_commit->signature);
  if (kind != wanted) return refuse("it carries a " + kind + " signature, and " + wanted + " signatures are required");
  ScratchDir temp;
  if (temp.path().empty()) return fail(ErrorCode::internal, "cannot create a temporary folder for signature checks");
  auto result = verify.kind == SignatureKind::openpgp ? verify_openpgp(*signed_commit, verify.keys_file, temp, context, deadline)
                                                      : verify_ssh(*signed_commit, verify.keys_file, temp, context, deadline);
  if (!result.ok() && result.error().code == ErrorCode::unauthorized) return refuse(result.error().message);
  return result;
}

}  // namespace driftless::git
