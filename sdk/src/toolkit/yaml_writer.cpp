// YAML text of a Value: block style, keys in stored order, strings quoted
// when they would otherwise read back as something else. Kubernetes reads the
// output (go-yaml v2) to the same objects; tests/sdk/yaml_kubernetes_test.cpp
// checks that against Kubernetes' own reader.
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

#include "driftless/toolkit/yaml.hpp"
#include "yaml_scalar.hpp"

namespace driftless {
namespace {

// The code point starting at `s[at]` when a YAML reader would not take it
// literally inside a scalar: C1 controls (U+0085 is a line break), the line
// and paragraph separators U+2028 and U+2029 (line breaks too), the byte
// order mark U+FEFF and the non-characters U+FFFE, U+FFFF (not printable).
// 0 otherwise.
unsigned escaped_code_point(std::string_view s, std::size_t at) {
  const auto byte = [&](std::size_t k) { return at + k < s.size() ? static_cast<unsigned char>(s[at + k]) : 0u; };
  if (byte(0) == 0xc2 && byte(1) >= 0x80 && byte(1) <= 0x9f) return byte(1);
  if (byte(0) == 0xe2 && byte(1) == 0x80 && (byte(2) == 0xa8 || byte(2) == 0xa9)) return 0x2000 | (byte(2) & 0x3f);
  if (byte(0) == 0xef && byte(1) == 0xbb && byte(2) == 0xbf) return 0xfeff;
  if (byte(0) == 0xef && byte(1) == 0xbf && (byte(2) == 0xbe || byte(2) == 0xbf)) return 0xffc0 | (byte(2) & 0x3f);
  return 0;
}

// `s` as a double-quoted YAML scalar: everything a reader would not take
// literally is escaped (JSON's escapes plus the code points above).
void double_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto escape = [&](unsigned code_point) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code_point >> shift) & 0xf];
  };
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      escape(c);
    } else if (const unsigned code_point = escaped_code_point(s, i)) {
      escape(code_point);
      i += code_point < 0x100 ? 1 : 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  if (!yaml_detail::resolve_plain_scalar(s).value.is_string()) return true;  // would read back as bool/number/null
  if (std::isspace(static_cast<unsigned char>(s.front())) || std::isspace(static_cast<unsigned char>(s.back()))) return true;
  if (std::strchr("-?:,[]{}#&*!|>'\"%@`", s.front())) return true;
  if (s == "<<") return true;
  if (s.rfind("...", 0) == 0) return true;  // at the start of a line, a document end marker
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || escaped_code_point(s, i)) return true;
    if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return true;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return true;
  }
  return false;
}

void emit_scalar(std::string& out, const Value& v) {
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (!needs_quotes(s)) {
      out += s;
      return;
    }
    double_quoted(out, s);
    return;
  }
  if (v.is_number() && !v.is_int()) {
    double d = v.as_double();
    if (std::isnan(d)) out += ".nan";
    else if (std::isinf(d)) out += d > 0 ? ".inf" : "-.inf";
    else out += to_json(v);
    return;
  }
  out += to_json(v);
}

bool is_empty_container(const Value& v) {
  return (v.is_array() && v.as_array().empty()) || (v.is_object() && v.as_object().empty());
}

void emit(std::string& out, const Value& v, int indent);

void emit_key(std::string& out, const std::string& key) {
  if (needs_quotes(key)) double_quoted(out, key);
  else out += key;
}

void emit_block_child(std::string& out, const Value& v, int indent) {
  if ((v.is_object() || v.is_array()) && !is_empty_container(v)) {
    out += '\n';
    emit(out, v, indent);
  } else {
    out += ' ';
    if (is_empty_container(v)) out += v.is_array() ? "[]" : "{}";
    else emit_scalar(out, v);
    out += '\n';
  }
}

void emit(std::string& out, const Value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object() && !v.as_object().empty()) {
    for (const auto& [k, child] : v.as_object()) {
      out += pad;
      emit_key(out, k);
      out += ':';
      emit_block_child(out, child, child.is_array() ? indent : indent + 2);
    }
  } else if (v.is_array() && !v.as_array().empty()) {
    for (const auto& item : v.as_array()) {
      out += pad;
      out += "-";
      if (item.is_object() && !item.as_object().empty()) {
        // First member on the dash line, the rest aligned under it.
        std::string nested;
        emit(nested, item, indent + 2);
        out += ' ';
        out += nested.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        emit_block_child(out, item, indent + 2);
      }
    }
  } else {
    out += pad;
    if (is_empty_container(v)) out += v.is_array() ? "[]" : "{}";
    else emit_scalar(out, v);
    out += '\n';
  }
}

}  // namespace

std::string to_yaml(const Value& value) {
  std::string out;
  emit(out, value, 0);
  return out;
}

}  // namespace driftless
