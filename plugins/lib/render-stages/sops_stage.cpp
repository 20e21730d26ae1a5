#include "sops_stage.hpp"

#include <openssl/crypto.h>

#include <cstdlib>
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

Result<SopsKeys> load_keys(const SopsSettings& settings) {
  SopsKeys keys;
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
               &SopsSettings::age_key_env);
  return s;
}

void decrypt_sops_objects(const SopsSettings& settings, RenderResult& out) {
  const auto files = sops_files(out.objects);
  std::vector<std::size_t> secrets;
  for (std::size_t i = 0; i < out.objects.size(); ++i)
    if (!out.objects[i].body.find("sops") && has_encrypted_files(out.objects[i])) secrets.push_back(i);
  if (files.empty() && secrets.empty()) return;
  std::vector<bool> drop(out.objects.size(), false);
  auto keys = load_keys(settings);
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
