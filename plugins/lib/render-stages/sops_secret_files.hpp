// Secrets whose `data` values are whole files encrypted with sops: Flux's
// case of a kustomize secretGenerator over an encrypted .env, .json, .yaml or
// binary file. As Flux does, the format comes from the key's extension
// (.env dotenv, .json, .yaml/.yml, anything else binary) and a value is
// decrypted only when it holds that format's sops marker.
#pragma once

#include <vector>

#include "driftless/object.hpp"
#include "driftless/diagnostic.hpp"
#include "sops_tree.hpp"

namespace driftless::renderers {

/// True when `object` is a Secret with at least one such data value.
bool has_encrypted_files(const KubeObject& object);

/// Decrypts each such data value of the Secret in place (base64 again).
/// Errors name the Secret's file, line, id and the data key; on any error
/// the caller drops the Secret.
void decrypt_encrypted_files(KubeObject& secret, const SopsKeys& keys, std::vector<Diagnostic>& out);

}  // namespace driftless::renderers
