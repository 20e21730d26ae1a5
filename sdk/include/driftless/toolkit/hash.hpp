// SHA-256 for content ids and revisions; base64 for keys and signatures.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace driftless {

/// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  /// Adds bytes.
  void update(std::string_view bytes);
  /// Lowercase hex digest; the object must not be used afterwards.
  std::string hex();
  /// Raw 32-byte digest; the object must not be used afterwards.
  std::string raw();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

/// Lowercase hex HMAC-SHA256 of `data` with `key` (webhook signatures).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// Compares two strings in time independent of where they differ (secrets).
bool constant_time_equal(std::string_view a, std::string_view b);

/// Raw (32-byte) SHA-256 of `bytes`.
std::string sha256_raw(std::string_view bytes);

/// Standard base64 (with '=' padding, no line breaks).
std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 (padding optional, no whitespace); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace driftless
