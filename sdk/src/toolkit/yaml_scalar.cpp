// Scalar resolution exactly as Kubernetes reads YAML: kubectl and the API
// machinery go through sigs.k8s.io/yaml, which decodes with go-yaml v2 (YAML 1.1
// rules, Go's strconv number syntax) and then marshals with encoding/json. This
// file mirrors go-yaml v2's resolve() and sigs.k8s.io/yaml's key conversion.
#include "yaml_scalar.hpp"

#include <yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace driftless::yaml_detail {
namespace {

constexpr std::string_view kBinaryTag = "tag:yaml.org,2002:binary";
constexpr std::string_view kTimestampTag = "tag:yaml.org,2002:timestamp";

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (s == w) return true;
  return false;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string without_underscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '_') out.push_back(c);
  return out;
}

// Go's strconv.ParseInt/ParseUint with base 0 ("0x", "0o", "0b" prefixes, a
// leading "0" meaning octal). Sets `negative` and the magnitude.
bool parse_go_unsigned(std::string_view s, std::uint64_t& magnitude, int base) {
  if (base == 0) {
    base = 10;
    if (s.size() >= 2 && s[0] == '0') {
      const char p = static_cast<char>(s[1] | 0x20);
      if (p == 'x') base = 16, s.remove_prefix(2);
      else if (p == 'o') base = 8, s.remove_prefix(2);
      else if (p == 'b') base = 2, s.remove_prefix(2);
      else base = 8, s.remove_prefix(1);
    }
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_go_int(std::string_view s, int base, std::int64_t& out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) negative = s[0] == '-', s.remove_prefix(1);
  std::uint64_t magnitude = 0;
  if (!parse_go_unsigned(s, magnitude, base)) return false;
  if (negative) {
    if (magnitude > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
    out = static_cast<std::int64_t>(0 - magnitude);
  } else {
    if (magnitude > static_cast<std::uint64_t>(INT64_MAX)) return false;
    out = static_cast<std::int64_t>(magnitude);
  }
  return true;
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ — go-yaml's yamlStyleFloat.
bool yaml_style_float(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t fraction = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++fraction;
    if (digits == 0 && fraction == 0) return false;
  } else if (digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == s.size();
}

// strconv.ParseFloat of a decimal float: fails on overflow (Go reports ErrRange).
bool parse_float(const std::string& s, double& out) {
  errno = 0;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  return !(errno == ERANGE && std::isinf(out));
}

// Go's underscoreOK for a number without base prefix: '_' only between digits.
bool underscores_between_digits(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '_' && (i == 0 || i + 1 == s.size() || !is_digit(s[i - 1]) || !is_digit(s[i + 1]))) return false;
  return true;
}

// The "0001-02-03" quick check of go-yaml's parseTimestamp plus Go's layouts
// "2006-1-2", "2006-1-2T15:4:5.999999999Z07:00" and "2006-1-2 15:4:5.999999999".
bool looks_like_timestamp(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i != 4 || i == s.size() || s[i] != '-') return false;
  auto number = [&](std::size_t max_digits) {
    std::size_t n = 0;
    while (i < s.size() && is_digit(s[i]) && n < max_digits) ++i, ++n;
    return n > 0;
  };
  ++i;
  if (!number(2) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!number(2)) return false;
  if (i == s.size()) return true;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
  const bool zoned = s[i] != ' ';
  ++i;
  if (!number(2) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!number(2) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!number(2)) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!number(9)) return false;
  }
  if (!zoned) return i == s.size();
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
  ++i;
  return number(2) && i < s.size() && s[i] == ':' && (++i, number(2)) && i == s.size();
}

Scalar from_float(double d) { return Scalar{ScalarKind::floating, number_value(d)}; }

// go-yaml v2 resolve("", text) for plain scalars.
Scalar resolve_untagged(std::string_view s) {
  // go-yaml's hint table: only these first characters can start a non-string.
  if (!s.empty() && !std::strchr("yYnNtTfFoO~.+-0123456789", s[0])) return {ScalarKind::string, Value(std::string(s))};
  // The words of the table have at most 5 characters ("false", "+.inf").
  if (s.size() > 5 && std::isalpha(static_cast<unsigned char>(s[0]))) return {ScalarKind::string, Value(std::string(s))};
  if (is_one_of(s, {"", "~", "null", "Null", "NULL"})) return {ScalarKind::null, Value()};
  if (is_one_of(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) return {ScalarKind::boolean, Value(true)};
  if (is_one_of(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) return {ScalarKind::boolean, Value(false)};
  if (is_one_of(s, {".nan", ".NaN", ".NAN"})) return {ScalarKind::floating, Value(std::nan(""))};
  if (is_one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return {ScalarKind::floating, Value(HUGE_VAL)};
  if (is_one_of(s, {"-.inf", "-.Inf", "-.INF"})) return {ScalarKind::floating, Value(-HUGE_VAL)};
  const char first = s[0];
  if (first == '.') {
    double d = 0;
    if (underscores_between_digits(s) && yaml_style_float(without_underscores(s)) && parse_float(without_underscores(s), d))
      return from_float(d);
    return {ScalarKind::string, Value(std::string(s))};
  }
  if (!is_digit(first) && first != '-' && first != '+') return {ScalarKind::string, Value(std::string(s))};
  if (looks_like_timestamp(s)) return {ScalarKind::timestamp, Value(std::string(s))};
  const std::string plain = without_underscores(s);
  std::int64_t i = 0;
  if (parse_go_int(plain, 0, i)) return {ScalarKind::integer, Value(i)};
  std::uint64_t u = 0;
  if (parse_go_unsigned(plain, u, 0)) return {ScalarKind::unsigned_integer, Value(static_cast<double>(u))};
  double d = 0;
  if (yaml_style_float(plain) && parse_float(plain, d)) return from_float(d);
  if (plain.rfind("0b", 0) == 0) {
    if (parse_go_int(std::string_view(plain).substr(2), 2, i)) return {ScalarKind::integer, Value(i)};
    if (parse_go_unsigned(std::string_view(plain).substr(2), u, 2))
      return {ScalarKind::unsigned_integer, Value(static_cast<double>(u))};
  } else if (plain.rfind("-0b", 0) == 0 && parse_go_int("-" + plain.substr(3), 2, i)) {
    return {ScalarKind::integer, Value(i)};
  }
  return {ScalarKind::string, Value(std::string(s))};
}

bool base64_decode(std::string_view text, std::string& out) {
  static const auto table = [] {
    std::array<signed char, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    return t;
  }();
  std::string clean;  // Go's StdEncoding ignores CR and LF, nothing else
  for (char c : text)
    if (c != '\r' && c != '\n') clean.push_back(c);
  if (clean.size() % 4 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < clean.size(); i += 4) {
    int v[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = clean[i + k];
      if (c == '=' && i + 4 == clean.size() && k >= 2) {
        v[k] = 0;
        ++padding;
      } else if (padding > 0 || table[static_cast<unsigned char>(c)] < 0) {
        return false;
      } else {
        v[k] = table[static_cast<unsigned char>(c)];
      }
    }
    const unsigned triple = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                            (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out.push_back(static_cast<char>(triple >> 16));
    if (padding < 2) out.push_back(static_cast<char>((triple >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(triple & 0xff));
  }
  return true;
}

}  // namespace

Value number_value(double d) {
  // encoding/json writes a float64 as its shortest digits padded with zeros
  // ("1e3" -> 1000, 2^62 -> 4611686018427388000), and Kubernetes reads that
  // text back as an int64 when it is one.
  if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) >= 1e21) return Value(d);
  if (d == 0) return Value(std::int64_t{0});
  char buf[64];
  const std::string sci(buf, std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr);  // "-d.ddde+XX"
  const auto e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const bool negative = digits[0] == '-';
  if (negative) digits.erase(0, 1);
  const auto integer_digits = static_cast<std::size_t>(std::stoi(sci.substr(e + 1))) + 1;
  std::string text = (negative ? "-" : "") + digits + std::string(integer_digits - digits.size(), '0');
  std::int64_t i = 0;
  auto [iend, iec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (iec == std::errc() && iend == text.data() + text.size()) return Value(i);
  return Value(d);
}

std::string valid_utf8(std::string_view s) {
  // Go's encoding/json replaces every byte that does not start a valid UTF-8
  // sequence with U+FFFD; surrogates and overlong forms are invalid.
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if (c < 0x80) len = 1, cp = c;
    else if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07, min = 0x10000;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok && len > 1 && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

Scalar resolve_plain_scalar(std::string_view text) {
  Scalar s = resolve_untagged(text);
  if (s.kind == ScalarKind::timestamp) s.kind = ScalarKind::string;
  return s;
}

bool resolve_scalar(std::string_view tag, std::string_view text, bool plain, Scalar& out, std::string& error) {
  if (tag.empty() || tag == "!") {
    if (!plain || !tag.empty()) out = {ScalarKind::string, Value(std::string(text))};
    else out = resolve_plain_scalar(text);
    return true;
  }
  if (tag == YAML_STR_TAG) {
    out = {ScalarKind::string, Value(std::string(text))};
    return true;
  }
  if (tag == kBinaryTag) {
    std::string bytes;
    if (!base64_decode(text, bytes)) {
      error = "!!binary value contains invalid base64 data";
      return false;
    }
    out = {ScalarKind::string, Value(valid_utf8(bytes))};
    return true;
  }
  const bool known = tag == YAML_BOOL_TAG || tag == YAML_INT_TAG || tag == YAML_FLOAT_TAG || tag == YAML_NULL_TAG ||
                     tag == kTimestampTag;
  if (!known) {  // go-yaml keeps the text of scalars with tags it does not resolve ("!!merge" outside a key too)
    out = {ScalarKind::string, Value(std::string(text))};
    return true;
  }
  Scalar s = resolve_untagged(text);
  const bool fits = (tag == YAML_BOOL_TAG && s.kind == ScalarKind::boolean) ||
                    (tag == YAML_NULL_TAG && s.kind == ScalarKind::null) ||
                    (tag == YAML_INT_TAG && (s.kind == ScalarKind::integer || s.kind == ScalarKind::unsigned_integer)) ||
                    (tag == YAML_FLOAT_TAG && (s.kind == ScalarKind::floating || s.kind == ScalarKind::integer)) ||
                    (tag == kTimestampTag && s.kind == ScalarKind::timestamp);
  if (!fits) {
    const std::string short_tag = "!!" + std::string(tag.substr(tag.rfind(':') + 1));
    error = "cannot decode `" + std::string(text) + "` as a " + short_tag;
    return false;
  }
  if (tag == YAML_FLOAT_TAG && s.kind == ScalarKind::integer) s = from_float(static_cast<double>(s.value.as_int()));
  if (s.kind == ScalarKind::timestamp) s.kind = ScalarKind::string;
  out = std::move(s);
  return true;
}

std::string go_float32_key(double value) {
  // strconv.FormatFloat(value, 'g', -1, 32) as sigs.k8s.io/yaml formats float keys.
  const float f = static_cast<float>(value);
  if (std::isnan(f)) return ".nan";
  if (std::isinf(f)) return f > 0 ? ".inf" : "-.inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::fabs(f), std::chars_format::scientific);
  if (ec != std::errc()) return {};
  const std::string sci(buf, end);  // "d.ddde+XX"
  const auto e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::stoi(sci.substr(e + 1));
  std::string out = std::signbit(f) ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int magnitude = exponent < 0 ? -exponent : exponent;
    out += exponent < 0 ? "e-" : "e+";
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
  } else if (exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto point = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= point) out += digits + std::string(point - digits.size(), '0');
    else out += digits.substr(0, point) + "." + digits.substr(point);
  }
  return out;
}

}  // namespace driftless::yaml_detail
