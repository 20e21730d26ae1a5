#include "sops_stage.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/settings.hpp"
#include "sops_secret_files.hpp"
#include "sops_tree.hpp"

namespace driftless::renderers {
namespace {

// An identity file is a few lines; anything bigger is not one.
constexpr std::uintmax_t kMaxKeyFileSize = 1 << 20;


// Wipes a string that held key text once it is no longer needed.
struct WipeOnExit {
  std::string& text;
  ~WipeOnExit() { OPENSSL_cleanse(text.data(), text.size()); }
};

Result<void> add_identities(std::string text, const std::string& origin, SopsKeys& keys) {
  WipeOnExit wipe{text};
  auto identities = parse_age_identities(text, origin);
  if (!identities.ok()) return identities.error();
  for (auto& identity : *identities) keys.age.push_back(std::move(identity));
  keys.age_source += (keys.age_source.empty() ? "" : ", ") + origin;
  return {};
}

Result<void> add_key_file(const std::string& path, const std::string& origin, SopsKeys& keys) {
  auto text = read_file_capped(path, kMaxKeyFileSize);
  if (!text.ok()) return fail(ErrorCode::not_found, "the age key file " + origin + " cannot be read: " + text.error().message);
  return add_identities(std::move(*text), origin, keys);
}

Result<void> add_key_env(const std::string& name, bool required, SopsKeys& keys) {
  const char* value = std::getenv(name.c_str());
  if (!value) {
    if (required) return fail(ErrorCode::not_found, "the environment variable " + name + " (ageKeyEnv) is not set");
    return {};
  }
  return add_identities(value, "environment variable " + name, keys);
}

// Appends one file of armored OpenPGP private keys, checked, to `armored`.
Result<void> add_pgp_text(std::string text, const std::string& origin, SecretBytes& armored) {
  WipeOnExit wipe{text};
  if (armored.size() + text.size() > kMaxKeyFileSize)
    return fail(ErrorCode::invalid_input, "the OpenPGP keys of " + origin + " are over " + std::to_string(kMaxKeyFileSize) + " bytes");
  if (auto checked = check_armored_private_keys(text, origin); !checked.ok()) return checked;
  armored.insert(armored.end(), text.begin(), text.end());
  armored.push_back('\n');
  return {};
}

// pgpKeyFile: a file, or a folder whose *.asc files are read (Flux's decryption Secret mounted as a volume).
Result<void> add_pgp_path(const std::string& path, SecretBytes& armored) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.path().extension() == ".asc" && entry.is_regular_file(ec)) files.push_back(entry.path());
    if (files.empty()) return fail(ErrorCode::not_found, "the folder pgpKeyFile " + path + " holds no *.asc file");
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  for (const auto& file : files) {
    auto text = read_file_capped(file, kMaxKeyFileSize);
    if (!text.ok())
      return fail(ErrorCode::not_found, "the OpenPGP key file pgpKeyFile " + file.string() + " cannot be read: " + text.error().message);
    if (auto done = add_pgp_text(std::move(*text), "pgpKeyFile " + file.string(), armored); !done.ok()) return done;
  }
  return {};
}

Result<void> add_pgp_keys(const SopsSettings& settings, Context& context, SopsKeys& keys) {
  SecretBytes armored;
  std::string source;
  if (!settings.pgp_key_file.empty()) {
    if (auto done = add_pgp_path(settings.pgp_key_file, armored); !done.ok()) return done;
    source = "pgpKeyFile " + settings.pgp_key_file;
  }
  if (!settings.pgp_key_env.empty()) {
    const char* value = std::getenv(settings.pgp_key_env.c_str());
    if (!value) return fail(ErrorCode::not_found, "the environment variable " + settings.pgp_key_env + " (pgpKeyEnv) is not set");
    const std::string origin = "environment variable " + settings.pgp_key_env;
    if (auto done = add_pgp_text(value, origin, armored); !done.ok()) return done;
    source += (source.empty() ? "" : ", ") + origin;
  }
  if (!armored.empty()) keys.pgp = std::make_unique<PgpKeyring>(std::move(armored), source, context);
  return {};
}

Result<SopsKeys> load_keys(const SopsSettings& settings, Context& context) {
  SopsKeys keys;
  if (auto done = add_pgp_keys(settings, context, keys); !done.ok()) return done.error();
  if (!settings.age_key_file.empty())
    if (auto done = add_key_file(settings.age_key_file, "ageKeyFile " + settings.age_key_file, keys); !done.ok())
      return done.error();
  if (!settings.age_key_env.empty())
    if (auto done = add_key_env(settings.age_key_env, true, keys); !done.ok()) return done.error();
  if (settings.age_key_file.empty() && settings.age_key_env.empty()) {
    if (const char* file = std::getenv("SOPS_AGE_KEY_FILE"); file && *file)
      if (auto done = add_key_file(file, "SOPS_AGE_KEY_FILE " + std::string(file), keys); !done.ok()) return done.error();
    if (auto done = add_key_env("SOPS_AGE_KEY", false, keys); !done.ok()) return done.error();
    if (keys.age_source.empty()) keys.age_source = "neither ageKeyFile nor ageKeyEnv is set, nor SOPS_AGE_KEY_FILE or SOPS_AGE_KEY";
  }
  return keys;
}

// The documents of one SOPS file: same file, same metadata (a multi-document
// file repeats its block in every document; separate files passed through
// kustomize share a file name but not a MAC).
std::vector<std::vector<std::size_t>> sops_files(const std::vector<KubeObject>& objects) {
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<std::size_t>> files;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const Value* block = objects[i].body.find("sops");
    if (!block) continue;
    const std::string key = objects[i].origin.file + '\n' + to_json(*block);
    auto [it, added] = index.emplace(key, files.size());
    if (added) files.emplace_back();
    files[it->second].push_back(i);
  }
  return files;
}

// An encrypted object's kind and name may themselves be ENC[…] strings.
std::string readable_id(const KubeObject& object) {
  const std::string id = object.id();
  return id.find("ENC[") == std::string::npos ? id : std::string();
}

}  // namespace

const SettingsSchema<SopsSettings>& sops_schema() {
  static const auto s =
      SettingsSchema<SopsSettings>()
          .key(ConfigKey("ageKeyFile", ConfigType::path,
                         "File on the machine running driftless (never in the repository) holding age identities, "
                         "one 'AGE-SECRET-KEY-1…' line each, as age-keygen writes them; read at every render. When "
                         "neither ageKeyFile nor ageKeyEnv is set, the environment variables SOPS_AGE_KEY_FILE and "
                         "SOPS_AGE_KEY are read, as sops reads them.")
                   .default_to(""),
               &SopsSettings::age_key_file)
          .key(ConfigKey("ageKeyEnv", ConfigType::string,
                         "Name of an environment variable of the driftless process that holds age identities "
                         "('AGE-SECRET-KEY-1…' lines).")
                   .default_to(""),
               &SopsSettings::age_key_env)
          .key(ConfigKey("pgpKeyFile", ConfigType::path,
                         "File on the machine running driftless holding ASCII-armored OpenPGP private keys without "
                         "passphrase (gpg --export-secret-keys --armor), or a folder whose *.asc files are read: "
                         "Flux's decryption Secret mounted as a volume. Decrypted by gpg (GnuPG) in a private, "
                         "temporary home; read at every render.")
                   .default_to(""),
               &SopsSettings::pgp_key_file)
          .key(ConfigKey("pgpKeyEnv", ConfigType::string,
                         "Name of an environment variable of the driftless process that holds ASCII-armored "
                         "OpenPGP private keys.")
                   .default_to(""),
               &SopsSettings::pgp_key_env);
  return s;
}

void decrypt_sops_objects(Context& context, const SopsSettings& settings, RenderResult& out) {
  const auto files = sops_files(out.objects);
  std::vector<std::size_t> secrets;
  for (std::size_t i = 0; i < out.objects.size(); ++i)
    if (!out.objects[i].body.find("sops") && has_encrypted_files(out.objects[i])) secrets.push_back(i);
  if (files.empty() && secrets.empty()) return;
  std::vector<bool> drop(out.objects.size(), false);
  auto keys = load_keys(settings, context);
  auto refuse = [&](const KubeObject& object, const std::string& why) {
    out.diagnostics.push_back({Severity::error, why, object.origin.file, object.origin.line, readable_id(object)});
  };
  for (const auto& documents : files) {
    Result<void> done = keys.ok() ? Result<void>() : Result<void>(keys.error());
    if (done.ok()) {
      std::vector<Value*> bodies;
      for (std::size_t i : documents) bodies.push_back(&out.objects[i].body);
      done = decrypt_sops_documents(bodies, *keys);
    }
    if (done.ok()) continue;
    refuse(out.objects[documents.front()], "cannot decrypt this SOPS-encrypted document: " + done.error().message);
    for (std::size_t i : documents) drop[i] = true;
  }
  for (std::size_t i : secrets) {
    std::vector<Diagnostic> found;
    if (keys.ok()) decrypt_encrypted_files(out.objects[i], *keys, found);
    else refuse(out.objects[i], "cannot decrypt the SOPS-encrypted files in this Secret's data: " + keys.error().message);
    drop[i] = !keys.ok() || has_errors(found);
    for (auto& d : found) out.diagnostics.push_back(std::move(d));
  }
  std::vector<KubeObject> kept;
  for (std::size_t i = 0; i < out.objects.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(out.objects[i]));
  out.objects = std::move(kept);
}

}  // namespace driftless::renderers
