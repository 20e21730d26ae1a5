#include "sops_secret_files.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <optional>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/yaml.hpp"

namespace driftless::renderers {
namespace {

enum class FileFormat { dotenv, json, yaml, binary };

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

FileFormat format_of(const std::string& key) {
  if (ends_with(key, ".env")) return FileFormat::dotenv;
  if (ends_with(key, ".json")) return FileFormat::json;
  if (ends_with(key, ".yaml") || ends_with(key, ".yml")) return FileFormat::yaml;
  return FileFormat::binary;  // sops' binary format is a JSON envelope
}

// The text that says "sops encrypted this", per format (Flux's markers).
std::string_view marker(FileFormat format) {
  switch (format) {
    case FileFormat::dotenv: return "sops_mac=ENC[";
    case FileFormat::yaml: return "mac: ENC[";
    default: return "\"mac\": \"ENC[";
  }
}

// A data value's bytes: Kubernetes reads base64 with line breaks too (kustomize folds long values).
std::optional<std::string> data_bytes(const std::string& text) {
  std::string joined;
  for (char c : text)
    if (c != '\n' && c != '\r') joined += c;
  return base64_decode(joined);
}

const Object* secret_data(const KubeObject& object) {
  if (object.kind() != "Secret" || object.api_version() != "v1") return nullptr;
  const Value* data = object.body.find("data");
  return data && data->is_object() ? &data->as_object() : nullptr;
}


// Where sops' flattened metadata key ("age__list_0__map_enc") goes in `root`.
Value* unflattened_slot(Value& root, std::string_view path) {
  Value* at = &root;
  std::string_view rest = path;
  auto take_name = [&]() {
    const auto next = std::min(rest.find("__map_"), rest.find("__list_"));
    std::string_view name = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
    return std::string(name);
  };
  std::string first = take_name();
  if (!at->is_object()) *at = Object{};
  at = &at->as_object()[first];
  while (!rest.empty()) {
    if (rest.substr(0, 6) == "__map_") {
      rest.remove_prefix(6);
      const std::string name = take_name();
      if (!at->is_object()) *at = Object{};
      at = &at->as_object()[name];
    } else {
      rest.remove_prefix(7);
      const std::string digits = take_name();
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec != std::errc() || end != digits.data() + digits.size() || index >= 1000) return nullptr;  // lists are short
      if (!at->is_array()) *at = Array{};
      auto& array = at->as_array();
      if (array.size() <= index) array.resize(index + 1);
      at = &array[index];
    }
  }
  return at;
}

// A dotenv file as one document: its variables, plus the unflattened sops_* block.
Result<Value> read_dotenv(std::string_view text, std::size_t& comments) {
  Value doc = Object{}, metadata = Object{};
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    if (line.front() == '#') {
      ++comments;
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail(ErrorCode::invalid_input, "a line of the dotenv file has no '='");
    std::string value(line.substr(eq + 1));
    for (std::size_t at = value.find("\\n"); at != std::string::npos; at = value.find("\\n", at + 1)) value.replace(at, 2, "\n");
    const std::string_view key = line.substr(0, eq);
    if (key.substr(0, 5) == "sops_") {
      Value* slot = unflattened_slot(metadata, key.substr(5));
      if (!slot) return fail(ErrorCode::invalid_input, "the dotenv file's sops metadata has a bad list index");
      *slot = std::move(value);
    } else {
      doc.as_object().set(key, std::move(value));
    }
  }
  doc.as_object().set("sops", std::move(metadata));
  return doc;
}

std::string write_dotenv(const Value& doc) {
  std::string out;
  for (const auto& [key, value] : doc.as_object()) {
    std::string text = value.is_string() ? value.as_string() : to_json(value);
    for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) text.replace(at, 1, "\\n");
    out += key + "=" + text + "\n";
  }
  return out;
}

// The plaintext file of one encrypted data value.
Result<std::string> decrypt_file(FileFormat format, const std::string& text, const SopsKeys& keys, std::size_t& comments) {
  std::vector<Value> docs;
  if (format == FileFormat::dotenv) {
    auto doc = read_dotenv(text, comments);
    if (!doc.ok()) return doc.error();
    docs.push_back(std::move(*doc));
  } else if (format == FileFormat::yaml) {
    auto parsed = parse_yaml(text, "");
    if (has_errors(parsed.diagnostics)) return fail(ErrorCode::invalid_input, "the YAML file does not parse");
    for (auto& d : parsed.documents) docs.push_back(std::move(d.value));
  } else {
    auto parsed = parse_json(text);
    if (!parsed.ok()) return fail(ErrorCode::invalid_input, "the JSON file does not parse");
    docs.push_back(std::move(*parsed));
  }
  std::vector<Value*> pointers;
  for (auto& d : docs) {
    if (!d.is_object()) return fail(ErrorCode::invalid_input, "a document of the file is not a mapping");
    pointers.push_back(&d);
  }
  if (auto done = decrypt_sops_documents(pointers, keys); !done.ok()) return done.error();
  switch (format) {
    case FileFormat::dotenv: return write_dotenv(docs[0]);
    case FileFormat::json: return to_json(docs[0]);
    case FileFormat::binary: {
      const Value* data = docs[0].find("data");
      if (!data || !data->is_string()) return fail(ErrorCode::invalid_input, "the binary envelope has no data string");
      return data->as_string();
    }
    case FileFormat::yaml: break;
  }
  std::string out;
  for (std::size_t i = 0; i < docs.size(); ++i) out += (i ? "---\n" : "") + to_yaml(docs[i]);
  return out;
}

}  // namespace

bool has_encrypted_files(const KubeObject& object) {
  const Object* data = secret_data(object);
  if (!data) return false;
  for (const auto& [key, value] : *data) {
    if (!value.is_string()) continue;
    auto bytes = data_bytes(value.as_string());
    if (bytes && bytes->find(marker(format_of(key))) != std::string::npos) return true;
  }
  return false;
}

void decrypt_encrypted_files(KubeObject& secret, const SopsKeys& keys, std::vector<Diagnostic>& out) {
  Object& data = secret.body.find("data")->as_object();
  for (auto& [key, value] : data) {
    if (!value.is_string()) continue;
    auto bytes = data_bytes(value.as_string());
    const FileFormat format = format_of(key);
    if (!bytes || bytes->find(marker(format)) == std::string::npos) continue;
    std::size_t comments = 0;
    auto plain = decrypt_file(format, *bytes, keys, comments);
    if (!plain.ok()) {
      out.push_back({Severity::error,
                     "cannot decrypt the SOPS-encrypted file in data." + key + ": " + plain.error().message,
                     secret.origin.file, secret.origin.line, secret.id()});
      continue;
    }
    if (comments > 0)
      out.push_back({Severity::warning,
                     std::to_string(comments) + " comment line(s) of the encrypted dotenv file in data." + key +
                         " are left out of the decrypted file",
                     secret.origin.file, secret.origin.line, secret.id()});
    value = base64_encode(*plain);
    OPENSSL_cleanse(plain->data(), plain->size());
  }
}

}  // namespace driftless::renderers
