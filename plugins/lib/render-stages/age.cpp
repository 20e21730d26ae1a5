#include "age.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "crypto.hpp"
#include "key_lines.hpp"
#include "driftless/toolkit/hash.hpp"

namespace driftless::renderers {
namespace {

constexpr std::string_view kVersionLine = "age-encryption.org/v1";
constexpr std::string_view kArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view kArmorEnd = "-----END AGE ENCRYPTED FILE-----";
constexpr std::string_view kSecretKeyPrefix = "age-secret-key-";
constexpr std::string_view kRecipientPrefix = "age";
constexpr std::string_view kX25519Info = "age-encryption.org/v1/X25519";
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kTag = 16;

Error malformed(const std::string& why) { return fail(ErrorCode::invalid_input, "malformed age data: " + why); }

// --- bech32 (BIP 173), as age spells its keys --------------------------------
constexpr std::string_view kBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  static constexpr std::array<std::uint32_t, 5> kGen{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (auto v : values) {
    const std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (std::size_t i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
}

std::vector<std::uint8_t> expanded_hrp(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c & 31));
  return out;
}

// Regroups a bit string from `from`-bit to `to`-bit units (bech32's 5-bit
// groups and bytes). Encoding pads the last unit with zero bits; decoding
// refuses leftover bits that are not zero padding.
std::optional<SecretBytes> regroup(const SecretBytes& in, int from, int to, bool pad) {
  SecretBytes out;
  unsigned acc = 0;
  int bits = 0;
  const unsigned mask = (1u << to) - 1;
  for (unsigned char v : in) {
    acc = ((acc << from) | v) & 0xffff;  // fewer than from + to bits are in flight
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push_back(static_cast<unsigned char>((acc >> bits) & mask));
    }
  }
  const unsigned rest = (acc << (to - bits)) & mask;
  acc = 0;
  if (pad && bits > 0) out.push_back(static_cast<unsigned char>(rest));
  if (!pad && (bits >= from || rest != 0)) return std::nullopt;
  return out;
}

// The 8-bit payload of a lower-case bech32 string with human-readable part `hrp`.
std::optional<SecretBytes> bech32_decode(std::string_view text, std::string_view hrp) {
  if (text.size() < hrp.size() + 7 || text.substr(0, hrp.size()) != hrp || text[hrp.size()] != '1') return std::nullopt;
  std::vector<std::uint8_t> values = expanded_hrp(hrp);
  SecretBytes five;
  for (char c : text.substr(hrp.size() + 1)) {
    const auto at = kBech32.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    five.push_back(static_cast<unsigned char>(at));
    values.push_back(static_cast<std::uint8_t>(at));
  }
  const bool valid = polymod(values) == 1;
  std::fill(values.begin(), values.end(), 0);
  if (!valid) return std::nullopt;
  five.resize(five.size() - 6);  // the checksum
  return regroup(five, 5, 8, false);
}

std::string bech32_encode(std::string_view hrp, crypto::Bytes data) {
  SecretBytes five = *regroup(SecretBytes(data.begin(), data.end()), 8, 5, true);
  std::vector<std::uint8_t> values = expanded_hrp(hrp);
  values.insert(values.end(), five.begin(), five.end());
  values.insert(values.end(), 6, 0);
  const std::uint32_t mod = polymod(values) ^ 1;
  for (int i = 0; i < 6; ++i) five.push_back(static_cast<std::uint8_t>((mod >> (5 * (5 - i))) & 31));
  std::string out = std::string(hrp) + "1";
  for (auto v : five) out += kBech32[v];
  return out;
}

// --- the file ---------------------------------------------------------------
std::optional<std::string> unpadded_base64(std::string_view text) {
  if (text.find('=') != std::string_view::npos) return std::nullopt;  // age's base64 has no padding
  return base64_decode(text);
}

// The binary form of an armored file (a binary file is returned as is).
Result<std::string> dearmored(std::string_view file) {
  const auto first = file.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || file.substr(first, kArmorBegin.size()) != kArmorBegin) return std::string(file);
  std::string_view rest = file.substr(first + kArmorBegin.size());
  const auto end = rest.find(kArmorEnd);
  if (end == std::string_view::npos) return malformed("the armor has no end line");
  if (rest.substr(end + kArmorEnd.size()).find_first_not_of(" \t\r\n") != std::string_view::npos)
    return malformed("text follows the armor's end line");
  std::string joined;
  for (char c : rest.substr(0, end))
    if (c != '\n' && c != '\r') joined += c;
  auto decoded = base64_decode(joined);
  if (!decoded) return malformed("the armored text is not base64");
  return *decoded;
}

struct Stanza {
  std::vector<std::string> args;  ///< type first
  std::string body;
};

struct Header {
  std::vector<Stanza> stanzas;
  std::string_view mac_input;  ///< the header up to and including "---"
  std::string mac;
  std::size_t payload_offset = 0;
};

std::vector<std::string> split_spaces(std::string_view line) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= line.size()) {
    const auto next = std::min(line.find(' ', pos), line.size());
    out.emplace_back(line.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

Result<Header> parse_header(std::string_view data) {
  Header header;
  std::size_t pos = 0;
  auto next_line = [&]() -> std::optional<std::string_view> {
    const auto nl = data.find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = data.substr(pos, nl - pos);
    pos = nl + 1;
    return line;
  };
  auto line = next_line();
  if (!line || *line != kVersionLine) return malformed("it does not start with '" + std::string(kVersionLine) + "'");
  while (true) {
    const std::size_t line_start = pos;
    line = next_line();
    if (!line) return malformed("the header has no end");
    if (line->substr(0, 4) == "--- ") {
      header.mac_input = data.substr(0, line_start + 3);
      auto mac = unpadded_base64(line->substr(4));
      if (!mac || mac->size() != 32) return malformed("the header MAC is not 32 bytes of base64");
      header.mac = std::move(*mac);
      header.payload_offset = pos;
      return header;
    }
    if (line->substr(0, 3) != "-> ") return malformed("a header line is neither a stanza nor the end");
    Stanza stanza;
    stanza.args = split_spaces(line->substr(3));
    std::string body_text;
    while (true) {
      auto body_line = next_line();
      if (!body_line) return malformed("a stanza body has no end");
      if (body_line->size() > 64) return malformed("a stanza body line is longer than 64 columns");
      body_text += *body_line;
      if (body_line->size() < 64) break;
    }
    auto body = unpadded_base64(body_text);
    if (!body) return malformed("a stanza body is not base64");
    stanza.body = std::move(*body);
    header.stanzas.push_back(std::move(stanza));
  }
}

// The file key an X25519 stanza wraps for `identity`, or nullopt when the
// stanza is for someone else.
std::optional<SecretBytes> unwrap(const Stanza& stanza, const AgeIdentity& identity) {
  if (stanza.args.size() != 2 || stanza.args[0] != "X25519" || stanza.body.size() != 32) return std::nullopt;
  auto share = unpadded_base64(stanza.args[1]);
  if (!share || share->size() != 32) return std::nullopt;
  auto shared = crypto::x25519(crypto::view(identity.secret), *share);
  if (!shared) return std::nullopt;
  const std::string salt = *share + std::string(crypto::view(identity.recipient));
  const SecretBytes wrap_key = crypto::hkdf_sha256(crypto::view(*shared), salt, kX25519Info, 32);
  static const std::string zero_nonce(12, '\0');
  auto key = crypto::chacha20_poly1305_open(crypto::view(wrap_key), zero_nonce, stanza.body);
  if (!key || key->size() != 16) return std::nullopt;
  return key;
}

Result<SecretBytes> open_payload(std::string_view payload, const SecretBytes& file_key, std::size_t max_plaintext) {
  if (payload.size() < 16 + kTag) return malformed("the payload is truncated");
  const SecretBytes key = crypto::hkdf_sha256(crypto::view(file_key), payload.substr(0, 16), "payload", 32);
  std::string_view rest = payload.substr(16);
  SecretBytes out;
  std::uint64_t counter = 0;
  while (true) {
    const bool last = rest.size() <= kChunk + kTag;
    const std::size_t take = std::min(rest.size(), kChunk + kTag);
    if (take < kTag || (last && take == kTag && counter > 0)) return malformed("the payload is truncated");
    std::string nonce(12, '\0');
    for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<char>((counter >> (8 * i)) & 0xff);
    nonce[11] = last ? 1 : 0;
    auto chunk = crypto::chacha20_poly1305_open(crypto::view(key), nonce, rest.substr(0, take));
    if (!chunk) return fail(ErrorCode::invalid_input, "the age payload does not authenticate (tampered or truncated)");
    if (out.size() + chunk->size() > max_plaintext)
      return fail(ErrorCode::invalid_input, "the age payload is larger than " + std::to_string(max_plaintext) + " bytes");
    out.insert(out.end(), chunk->begin(), chunk->end());
    rest = rest.substr(take);
    ++counter;
    if (last) return out;
  }
}

}  // namespace

Result<std::vector<AgeIdentity>> parse_age_identities(std::string_view text, const std::string& origin) {
  std::vector<AgeIdentity> out;
  KeyLines lines(text);
  while (auto next = lines.next()) {
    std::string_view line = *next;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = origin + ":" + std::to_string(lines.number());
    SecretBytes lower(line.begin(), line.end());
    for (auto& c : lower) c = static_cast<unsigned char>(std::tolower(c));
    auto secret = bech32_decode(as_text(lower), kSecretKeyPrefix);
    if (!secret || secret->size() != 32)
      return fail(ErrorCode::invalid_input,
                  where + ": not an age X25519 identity (a line 'AGE-SECRET-KEY-1…' as age-keygen writes it)");
    auto recipient = crypto::x25519_public(crypto::view(*secret));
    if (!recipient) return fail(ErrorCode::invalid_input, where + ": not a usable X25519 key");
    out.push_back({std::move(*secret), std::move(*recipient), where});
  }
  return out;
}

std::string age_recipient(const AgeIdentity& identity) {
  return bech32_encode(kRecipientPrefix, crypto::view(identity.recipient));
}

Result<SecretBytes> age_decrypt(std::string_view file, const std::vector<AgeIdentity>& identities,
                                std::size_t max_plaintext) {
  auto binary = dearmored(file);
  if (!binary.ok()) return binary.error();
  auto header = parse_header(*binary);
  if (!header.ok()) return header.error();
  for (const auto& stanza : header->stanzas)
    for (const auto& identity : identities) {
      auto file_key = unwrap(stanza, identity);
      if (!file_key) continue;
      const SecretBytes mac_key = crypto::hkdf_sha256(crypto::view(*file_key), "", "header", 32);
      const SecretBytes mac = crypto::hmac_sha256(crypto::view(mac_key), header->mac_input);
      if (!crypto::equal(crypto::view(mac), header->mac))
        return fail(ErrorCode::invalid_input, "the age header MAC does not match (tampered)");
      return open_payload(std::string_view(*binary).substr(header->payload_offset), *file_key, max_plaintext);
    }
  return fail(ErrorCode::not_found, "no age identity given matches a recipient of the file");
}

}  // namespace driftless::renderers
