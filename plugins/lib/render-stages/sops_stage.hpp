// The "sops" renderer's work: every object that carries a top-level `sops:`
// block (a YAML or JSON manifest encrypted with sops) is decrypted in memory
// with the age identities or OpenPGP keys of the machine running driftless;
// the block is removed. A Secret whose data values are whole files encrypted with sops
// (kustomize's secretGenerator, Flux's case) has those values decrypted
// (sops_secret_files.hpp). Placed after the stage that read the files:
// `renderers: [yaml, sops]`.
#pragma once

#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/settings.hpp"

namespace driftless::renderers {

struct SopsSettings {
  std::string age_key_file;  ///< file of AGE-SECRET-KEY-1… lines
  std::string age_key_env;   ///< environment variable holding such lines
  std::string pgp_key_file;  ///< file of armored OpenPGP private keys, or a folder of *.asc files
  std::string pgp_key_env;   ///< environment variable holding such keys
};

/// The sops renderer's config keys, each with the field it fills.
const SettingsSchema<SopsSettings>& sops_schema();

/// Decrypts the SOPS-encrypted objects and Secret files of `out` in place. An object that
/// cannot be decrypted (no matching key, a bad MAC, a malformed value) is an
/// error naming its file, line and object, and is dropped with every other
/// document of its file; the keys are read at each render and wiped after
/// (OpenPGP keys go to gpg, which runs within the context's deadline).
void decrypt_sops_objects(Context& context, const SopsSettings& settings, RenderResult& out);

}  // namespace driftless::renderers
