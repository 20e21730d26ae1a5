#include "pgp.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <sstream>

#include "key_lines.hpp"

namespace driftless::renderers {
namespace {

constexpr std::string_view kBegin = "-----BEGIN PGP PRIVATE KEY BLOCK-----";
constexpr std::string_view kEnd = "-----END PGP PRIVATE KEY BLOCK-----";
// What gpg may print: status lines and a few messages; a data key is 32 bytes.
constexpr std::size_t kMaxGpgOutput = 64 * 1024;
// gpg and its agent are small; this bounds a hostile message's decompression too.
constexpr std::size_t kMaxGpgMemory = std::size_t{512} * 1024 * 1024;
// Killing the agent must happen even after the render's deadline passed.
constexpr std::chrono::seconds kCleanupTimeout{10};

Error invalid(std::string message) { return fail(ErrorCode::invalid_input, std::move(message)); }

// The "[GNUPG:] KEYWORD args" lines of a --status-fd stream, and gpg's last own message.
struct GpgStatus {
  std::vector<std::string> lines;  ///< without the "[GNUPG:] " prefix
  std::string last_message;        ///< the last "gpg: …" line ("" when none)

  explicit GpgStatus(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("[GNUPG:] ", 0) == 0) lines.push_back(line.substr(9));
      else if (line.rfind("gpg: ", 0) == 0) last_message = line;
    }
  }
  bool has(std::string_view keyword) const {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.compare(0, keyword.size(), keyword) == 0 && (l.size() == keyword.size() || l[keyword.size()] == ' ');
    });
  }
  std::string said() const { return last_message.empty() ? "gpg said nothing" : last_message; }
};

}  // namespace

Result<void> check_armored_private_keys(std::string_view armored, const std::string& origin) {
  std::size_t blocks = 0, open_at = 0;
  KeyLines lines(armored);
  while (auto next = lines.next()) {
    const std::string_view line = *next;
    if (open_at) {
      if (line == kEnd) open_at = 0;
      continue;
    }
    if (line.empty()) continue;
    if (line == kBegin) {
      open_at = lines.number();
      ++blocks;
      continue;
    }
    const std::string where = origin + ":" + std::to_string(lines.number()) + ": ";
    if (line == "-----BEGIN PGP PUBLIC KEY BLOCK-----")
      return invalid(where + "a public key block: decryption needs the private key, as gpg --export-secret-keys --armor "
                             "FINGERPRINT writes it");
    return invalid(where + "not part of an ASCII-armored OpenPGP private key block ('" + std::string(kBegin) + "')");
  }
  if (open_at) return invalid(origin + ":" + std::to_string(open_at) + ": the private key block has no '" + std::string(kEnd) + "' line");
  if (blocks == 0) return invalid(origin + " holds no ASCII-armored OpenPGP private key ('" + std::string(kBegin) + "')");
  return {};
}

PgpKeyring::PgpKeyring(SecretBytes armored, std::string source, Context& context)
    : armored_(std::move(armored)), source_(std::move(source)), context_(context) {}

PgpKeyring::~PgpKeyring() {
  if (!home_ || home_->path().empty()) return;
  // The agent gpg started detaches from it: stop it before its home goes.
  for (const char* action : {"--kill", "--remove-socketdir"}) {
    ProcessSpec spec;
    spec.argv = {"gpgconf", "--homedir", home_->path().string()};
    if (std::string_view(action) == "--kill") spec.argv.insert(spec.argv.end(), {"--kill", "all"});
    else spec.argv.push_back(action);
    spec.env = {{"GNUPGHOME", home_->path().string()}, {"HOME", home_->path().string()}};
    spec.timeout = kCleanupTimeout;
    spec.max_output = kMaxGpgOutput;
    (void)run_process(spec);
  }
}

Result<ProcessResult> PgpKeyring::gpg(std::vector<std::string> args, std::string input) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(context_.deadline() - std::chrono::steady_clock::now());
  if (left.count() <= 0) return fail(ErrorCode::timeout, "the render's deadline passed before gpg could run");
  ProcessSpec spec;
  spec.argv = {"gpg", "--batch", "--no-tty", "--homedir", home_->path().string(), "--pinentry-mode", "error"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.input = std::move(input);
  spec.env = {{"GNUPGHOME", home_->path().string()}, {"HOME", home_->path().string()}};
  spec.timeout = left;
  spec.max_output = kMaxGpgOutput;
  spec.max_memory = kMaxGpgMemory;
  spec.cancelled = [this] { return context_.cancelled(); };
  auto result = run_process(spec);
  OPENSSL_cleanse(spec.input.data(), spec.input.size());
  if (!result.ok())
    return fail(result.error().code, "gpg (GnuPG, needed for OpenPGP keys; Debian package gnupg): " + result.error().message);
  return result;
}

Result<void> PgpKeyring::import() {
  if (imported_) return *imported_;
  home_ = std::make_unique<ScratchDir>();  // mkdtemp: 0700
  if (home_->path().empty()) return *(imported_ = fail(ErrorCode::internal, "cannot create a private GnuPG home for " + source_));
  auto run = gpg({"--status-fd", "1", "--import"}, std::string(as_text(armored_)));
  if (!run.ok()) return *(imported_ = run.error());
  const GpgStatus status(run->out + "\n" + run->err);
  for (const auto& line : status.lines) {
    // IMPORT_OK <reasons> <fingerprint>: reason bit 16 means a secret key.
    std::istringstream fields(line);
    std::string keyword, fingerprint;
    int reasons = 0;
    if (!(fields >> keyword >> reasons >> fingerprint) || keyword != "IMPORT_OK" || !(reasons & 16)) continue;
    if (std::find(fingerprints_.begin(), fingerprints_.end(), fingerprint) == fingerprints_.end())
      fingerprints_.push_back(fingerprint);
  }
  if (fingerprints_.empty())
    return *(imported_ = invalid("the OpenPGP keys of " + source_ + " cannot be imported: gpg took no secret key from them (" +
                                 status.said() + ")"));
  return *(imported_ = Result<void>());
}

Result<SecretBytes> PgpKeyring::decrypt(std::string_view message, std::size_t max_plaintext) {
  if (auto done = import(); !done.ok()) return done.error();
  auto run = gpg({"--quiet", "--status-fd", "2", "--decrypt"}, std::string(message));
  if (!run.ok()) return run.error();
  SecretBytes plain(run->out.begin(), run->out.end());
  OPENSSL_cleanse(run->out.data(), run->out.size());
  const GpgStatus status(run->err);
  if (run->exit_code == 0 && status.has("DECRYPTION_OKAY")) {
    if (plain.size() > max_plaintext) return invalid("the OpenPGP message holds more than " + std::to_string(max_plaintext) + " bytes");
    return plain;
  }
  if (status.has("NODATA")) return invalid("the value is not an ASCII-armored OpenPGP message gpg can read");
  if (status.has("ERROR pkdecrypt_failed"))
    return invalid("gpg could not use the secret key (" + status.said() +
                   "); a key protected by a passphrase cannot be used: export it without one, as Flux requires");
  if (!status.has("DECRYPTION_KEY")) return fail(ErrorCode::not_found, "no secret key of " + source_ + " opens it");
  return invalid("gpg refused the message (tampered, or not what sops wrote): " + status.said());
}

}  // namespace driftless::renderers
