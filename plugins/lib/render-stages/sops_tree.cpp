#include "sops_tree.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <optional>
#include <regex>

#include "crypto.hpp"
#include "driftless/toolkit/hash.hpp"

namespace driftless::renderers {
namespace {

constexpr std::string_view kEncPrefix = "ENC[AES256_GCM,data:";
constexpr std::size_t kDataKeySize = 32;
// sops hashes these bytes first when only encrypted values count
// (MACOnlyEncryptedInitialization in sops.go), so the two MACs never agree.
constexpr unsigned char kMacOnlyEncryptedInit[] = {0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34,
                                                   0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f,
                                                   0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69};

Error invalid(std::string message) { return fail(ErrorCode::invalid_input, std::move(message)); }

// The metadata parts that decide which values are encrypted.
struct Rules {
  std::string unencrypted_suffix, encrypted_suffix;
  std::optional<std::regex> unencrypted_regex, encrypted_regex;
  bool mac_only_encrypted = false;

  // sops' shouldBeEncrypted: each rule looks at every key on the path.
  bool encrypted(const std::vector<std::string>& path) const {
    auto any = [&](auto&& match) {
      for (const auto& key : path)
        if (match(key)) return true;
      return false;
    };
    auto ends_with = [](const std::string& s, const std::string& suffix) {
      return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    bool out = true;
    if (!unencrypted_suffix.empty() && any([&](const auto& k) { return ends_with(k, unencrypted_suffix); })) out = false;
    if (!encrypted_suffix.empty()) out = any([&](const auto& k) { return ends_with(k, encrypted_suffix); });
    if (unencrypted_regex && any([&](const auto& k) { return std::regex_search(k, *unencrypted_regex); })) out = false;
    if (encrypted_regex) out = any([&](const auto& k) { return std::regex_search(k, *encrypted_regex); });
    return out;
  }
};

Result<Rules> read_rules(const Value& sops) {
  Rules rules;
  for (const char* unsupported : {"unencrypted_comment_regex", "encrypted_comment_regex"})
    if (!sops.string_or(unsupported).empty())
      return invalid(std::string("the sops metadata sets ") + unsupported +
                     ", which this decryption does not support (comments are not read); re-encrypt without it");
  rules.unencrypted_suffix = sops.string_or("unencrypted_suffix");
  rules.encrypted_suffix = sops.string_or("encrypted_suffix");
  try {
    if (auto r = sops.string_or("unencrypted_regex"); !r.empty()) rules.unencrypted_regex.emplace(r);
    if (auto r = sops.string_or("encrypted_regex"); !r.empty()) rules.encrypted_regex.emplace(r);
  } catch (const std::regex_error&) {
    return invalid("the sops metadata's unencrypted_regex or encrypted_regex is not a usable regular expression");
  }
  const Value* only = sops.find("mac_only_encrypted");
  // A dotenv file's metadata is all strings.
  rules.mac_only_encrypted = only && ((only->is_bool() && only->as_bool()) || (only->is_string() && only->as_string() == "true"));
  return rules;
}

// --- the data key -----------------------------------------------------------
struct Recipients {
  std::vector<const Value*> age;  ///< {recipient, enc} entries
  std::vector<const Value*> pgp;  ///< {fp, enc} entries
  std::vector<std::string> other; ///< kms, gcp_kms, ...: named in messages
};

Result<Recipients> read_recipients(const Value& sops) {
  const Value* groups = sops.find("key_groups");
  std::vector<const Value*> group_list;
  if (groups && groups->is_array()) {
    if (groups->as_array().size() > 1)
      return invalid("the file is encrypted for " + std::to_string(groups->as_array().size()) +
                     " key groups (Shamir secret sharing), which this decryption does not support");
    for (const auto& group : groups->as_array()) group_list.push_back(&group);
  } else {
    group_list.push_back(&sops);
  }
  Recipients out;
  for (const Value* group : group_list) {
    if (!group->is_object()) continue;
    for (const auto& [name, entries] : group->as_object()) {
      if (!entries.is_array()) continue;
      for (const auto& entry : entries.as_array()) {
        if (name == "age") out.age.push_back(&entry);
        else if (name == "pgp") out.pgp.push_back(&entry);
        else if (name == "kms" || name == "gcp_kms" || name == "azure_kv" || name == "hc_vault" || name == "hckms")
          out.other.push_back(name);
      }
    }
  }
  return out;
}

std::string no_key_message(const Recipients& recipients, const SopsKeys& keys) {
  std::string message = "no key given opens this file: it is encrypted for";
  if (recipients.age.empty() && recipients.pgp.empty() && recipients.other.empty()) message += " no recipient";
  for (const Value* entry : recipients.age) message += " age " + entry->string_or("recipient", "(no recipient)");
  for (const Value* entry : recipients.pgp) message += " pgp " + entry->string_or("fp", "(no fingerprint)");
  for (const auto& kind : recipients.other) message += " " + kind + " (not supported: add an age or pgp recipient)";
  if (keys.age.empty()) {
    message += ", and no age identity was given (" + keys.age_source + ")";
  } else {
    message += ", and the age identities given (" + keys.age_source + ") are";
    for (const auto& identity : keys.age) message += " " + age_recipient(identity);
  }
  if (recipients.pgp.empty()) return message;
  if (!keys.pgp)
    return message + "; no OpenPGP key was given: put the armored private key (gpg --export-secret-keys --armor "
                     "FINGERPRINT, the *.asc entry of Flux's decryption Secret) in the file or folder of pgpKeyFile, "
                     "or the variable of pgpKeyEnv";
  message += "; the OpenPGP keys given (" + keys.pgp->source() + ") are";
  for (const auto& fingerprint : keys.pgp->fingerprints()) message += " " + fingerprint;
  return message + ": add the private key of a recipient there";
}

// The data key from the first recipient whose key was given: age first, as it needs no tool.
Result<SecretBytes> data_key(const Value& sops, const SopsKeys& keys) {
  auto recipients = read_recipients(sops);
  if (!recipients.ok()) return recipients.error();
  auto checked = [](Result<SecretBytes> key, const std::string& recipient) -> Result<SecretBytes> {
    if (!key.ok()) return invalid("the data key for " + recipient + ": " + key.error().message);
    if (key->size() != kDataKeySize) return invalid("the data key for " + recipient + " is not 32 bytes");
    return key;
  };
  for (const Value* entry : recipients->age) {
    auto key = age_decrypt(entry->string_or("enc"), keys.age, kDataKeySize);
    if (!key.ok() && key.error().code == ErrorCode::not_found) continue;
    return checked(std::move(key), "age recipient " + entry->string_or("recipient"));
  }
  for (const Value* entry : keys.pgp ? recipients->pgp : std::vector<const Value*>()) {
    auto key = keys.pgp->decrypt(entry->string_or("enc"), kDataKeySize);
    if (!key.ok() && key.error().code == ErrorCode::not_found) continue;
    return checked(std::move(key), "pgp recipient " + entry->string_or("fp"));
  }
  return fail(ErrorCode::unauthorized, no_key_message(*recipients, keys));
}

// --- values -----------------------------------------------------------------
struct EncryptedValue {
  std::string data, iv, tag, type;
};

std::optional<EncryptedValue> parse_enc(std::string_view text) {
  if (text.substr(0, kEncPrefix.size()) != kEncPrefix || text.back() != ']') return std::nullopt;
  std::string_view rest = text.substr(kEncPrefix.size(), text.size() - kEncPrefix.size() - 1);
  const auto iv = rest.find(",iv:"), tag = rest.find(",tag:"), type = rest.find(",type:");
  if (iv == std::string_view::npos || tag == std::string_view::npos || type == std::string_view::npos || iv > tag ||
      tag > type)
    return std::nullopt;
  auto data = base64_decode(rest.substr(0, iv));
  auto nonce = base64_decode(rest.substr(iv + 4, tag - iv - 4));
  auto mac = base64_decode(rest.substr(tag + 5, type - tag - 5));
  if (!data || !nonce || !mac) return std::nullopt;
  return EncryptedValue{std::move(*data), std::move(*nonce), std::move(*mac), std::string(rest.substr(type + 6))};
}

std::string path_text(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& key : path) out += key + ":";
  return out;
}

// Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest digits that read back, no exponent.
std::string go_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[400];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed).ptr;
  return std::string(buffer, end);
}

// The bytes sops hashes for a plain value (sops.ToBytes); nullopt for null.
std::optional<std::string> mac_bytes(const Value& value) {
  switch (value.type()) {
    case ValueType::string: return value.as_string();
    case ValueType::integer: return std::to_string(value.as_int());
    case ValueType::number: return go_float(value.as_double());
    case ValueType::boolean: return value.as_bool() ? "True" : "False";
    default: return std::nullopt;
  }
}

// Go's strconv.ParseBool.
std::optional<bool> go_bool(std::string_view text) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == t) return true;
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == f) return false;
  return std::nullopt;
}

// The typed value sops wrote: its `type:` says what the plaintext was.
Result<Value> typed(const std::string& type, SecretBytes plain) {
  const std::string_view text = as_text(plain);
  if (type == "str" || type == "bytes" || type == "time") return Value(std::string(text));
  if (type == "int") {
    std::int64_t n = 0;
    const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
    auto [end, ec] = std::from_chars(begin, text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || begin == end) return invalid("an int value does not read as an integer");
    return Value(n);
  }
  if (type == "float") {
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc() || end != text.data() + text.size()) return invalid("a float value does not read as a number");
    return Value(d);
  }
  if (type == "bool") {
    auto b = go_bool(text);
    if (!b) return invalid("a bool value does not read as a boolean");
    return Value(*b);
  }
  return invalid("unknown value type '" + type + "'");
}

Result<SecretBytes> open_value(const std::string& text, const SecretBytes& key, const std::string& aad,
                               std::string* type) {
  auto enc = parse_enc(text);
  if (!enc) return invalid("the value is not ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] with base64 parts");
  auto plain = crypto::aes256_gcm_open(crypto::view(key), enc->iv, enc->data, enc->tag, aad);
  if (!plain) return invalid("the value does not authenticate with the file's data key (tampered, or moved from another key)");
  *type = std::move(enc->type);
  return std::move(*plain);
}

struct EvpMdFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };

class TreeDecryptor {
 public:
  TreeDecryptor(const Rules& rules, const SecretBytes& key) : rules_(rules), key_(key), hash_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(hash_.get(), EVP_sha512(), nullptr);
    if (rules_.mac_only_encrypted) EVP_DigestUpdate(hash_.get(), kMacOnlyEncryptedInit, sizeof kMacOnlyEncryptedInit);
  }

  Result<void> walk(Value& value, std::vector<std::string>& path) {
    if (value.is_object()) {
      for (auto& [name, member] : value.as_object()) {
        path.push_back(name);
        auto done = walk(member, path);
        path.pop_back();
        if (!done.ok()) return done;
      }
      return {};
    }
    if (value.is_array()) {
      for (auto& item : value.as_array())
        if (auto done = walk(item, path); !done.ok()) return done;
      return {};
    }
    if (value.is_null()) return {};  // sops leaves null alone and hashes nothing
    const bool encrypted = rules_.encrypted(path);
    if (encrypted) {
      if (!value.is_string()) return at(path, "a value to be encrypted is a " + std::string(to_string(value.type())) + ", not an ENC[…] string");
      if (!value.as_string().empty()) {
        std::string type;
        auto plain = open_value(value.as_string(), key_, path_text(path), &type);
        if (!plain.ok()) return at(path, plain.error().message);
        auto decrypted = typed(type, std::move(*plain));
        if (!decrypted.ok()) return at(path, decrypted.error().message);
        value = std::move(*decrypted);
      }
    }
    if (!rules_.mac_only_encrypted || encrypted) hash(*mac_bytes(value));
    return {};
  }

  // The MAC sops computes: SHA-512 in upper-case hex.
  std::string mac() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(hash_.get(), digest, &n);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 15];
    }
    return out;
  }

 private:
  static Error at(const std::vector<std::string>& path, const std::string& why) {
    return invalid("at " + (path.empty() ? std::string("the top") : path_text(path).substr(0, path_text(path).size() - 1)) +
                   ": " + why);
  }
  void hash(const std::string& bytes) { EVP_DigestUpdate(hash_.get(), bytes.data(), bytes.size()); }

  const Rules& rules_;
  const SecretBytes& key_;
  std::unique_ptr<EVP_MD_CTX, EvpMdFree> hash_;
};

}  // namespace

Result<void> decrypt_sops_documents(const std::vector<Value*>& documents, const SopsKeys& keys) {
  if (documents.empty()) return {};
  const Value* first = documents.front()->find("sops");
  if (!first || !first->is_object()) return invalid("the document's sops block is not a mapping");
  const Value metadata = *first;
  auto rules = read_rules(metadata);
  if (!rules.ok()) return rules.error();
  auto key = data_key(metadata, keys);
  if (!key.ok()) return key.error();
  TreeDecryptor decryptor(*rules, *key);
  for (Value* document : documents) {
    document->as_object().erase("sops");
    std::vector<std::string> path;
    if (auto done = decryptor.walk(*document, path); !done.ok()) return done;
  }
  std::string type;
  auto stored = open_value(metadata.string_or("mac"), *key, metadata.string_or("lastmodified"), &type);
  if (!stored.ok()) return invalid("the file's MAC (sops.mac) cannot be read: " + stored.error().message);
  if (!crypto::equal(as_text(*stored), decryptor.mac()))
    return invalid("the MAC does not match the values: the file was changed after it was encrypted (a value edited, "
                   "added, removed or moved); re-encrypt it with sops. The MAC covers the order of the keys, and kustomize "
                   "(a kustomization.yaml, a Flux Kustomization's patches) writes them sorted: a file it reads must have "
                   "sorted keys, as kubectl create secret --dry-run=client -o yaml writes them");
  return {};
}

}  // namespace driftless::renderers
