#include "driftless/yaml.hpp"

#include <yaml.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

namespace driftless {
namespace {

// --- scalar resolution, YAML 1.1 as Kubernetes' YAML reader does it ----------

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (s == w) return true;
  return false;
}

bool parse_integer(std::string_view text, std::int64_t& out) {
  std::string s;
  for (char c : text)
    if (c != '_') s.push_back(c);
  if (s.empty()) return false;
  bool negative = false;
  std::size_t pos = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    pos = 1;
  }
  int base = 10;
  if (s.size() > pos + 1 && s[pos] == '0' && (s[pos + 1] == 'x' || s[pos + 1] == 'X')) base = 16, pos += 2;
  else if (s.size() > pos + 1 && s[pos] == '0' && (s[pos + 1] == 'b' || s[pos + 1] == 'B')) base = 2, pos += 2;
  else if (s.size() > pos + 1 && s[pos] == '0' && (s[pos + 1] == 'o' || s[pos + 1] == 'O')) base = 8, pos += 2;
  else if (s.size() > pos + 1 && s[pos] == '0') base = 8, pos += 1;
  if (pos >= s.size()) return false;
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  if (negative) {
    if (magnitude > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
    out = static_cast<std::int64_t>(0 - magnitude);
    return true;
  }
  if (magnitude > static_cast<std::uint64_t>(INT64_MAX)) return false;
  out = static_cast<std::int64_t>(magnitude);
  return true;
}

bool looks_like_float(std::string_view s) {
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t frac = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac;
    if (digits == 0 && frac == 0) return false;
  } else if (digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

Value resolve_plain(std::string_view s) {
  if (is_one_of(s, {"", "~", "null", "Null", "NULL"})) return Value();
  if (is_one_of(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) return Value(true);
  if (is_one_of(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) return Value(false);
  const char first = s[0];
  if (!(std::isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' || first == '.'))
    return Value(std::string(s));
  std::int64_t i = 0;
  if (parse_integer(s, i)) return Value(i);
  std::string no_underscores;
  for (char c : s)
    if (c != '_') no_underscores.push_back(c);
  if (looks_like_float(no_underscores)) return Value(std::strtod(no_underscores.c_str(), nullptr));
  if (is_one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return Value(HUGE_VAL);
  if (is_one_of(s, {"-.inf", "-.Inf", "-.INF"})) return Value(-HUGE_VAL);
  if (is_one_of(s, {".nan", ".NaN", ".NAN"})) return Value(std::nan(""));
  return Value(std::string(s));
}

// Resolves an explicitly tagged scalar ("!!int 3"); unknown tags keep the text.
Value resolve_tagged(std::string_view tag, std::string_view text) {
  if (tag == YAML_STR_TAG || tag == std::string_view("tag:yaml.org,2002:binary")) return Value(std::string(text));
  if (tag == YAML_NULL_TAG || tag == YAML_BOOL_TAG || tag == YAML_INT_TAG || tag == YAML_FLOAT_TAG) return resolve_plain(text);
  return Value(std::string(text));
}

// Kubernetes turns non-string mapping keys into their text form.
std::string key_text(const Value& key) {
  switch (key.type()) {
    case ValueType::string: return key.as_string();
    case ValueType::boolean: return key.as_bool() ? "true" : "false";
    case ValueType::integer: return std::to_string(key.as_int());
    case ValueType::null: return "null";
    case ValueType::number: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, key.as_double());
      return ec == std::errc() ? std::string(buf, end) : std::string();
    }
    default: return to_json(key);
  }
}

struct ParserDeleter {
  void operator()(yaml_parser_t* p) const {
    yaml_parser_delete(p);
    delete p;
  }
};

class Reader {
 public:
  Reader(std::string_view text, const std::string& file, const YamlLimits& limits)
      : parser_(new yaml_parser_t), file_(file), limits_(limits) {
    yaml_parser_initialize(parser_.get());
    yaml_parser_set_input_string(parser_.get(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }

  YamlParseResult read_all() {
    YamlParseResult result;
    int index = 0;
    while (next()) {
      if (event_.type == YAML_STREAM_END_EVENT) break;
      if (event_.type != YAML_DOCUMENT_START_EVENT) continue;
      int line = static_cast<int>(event_.start_mark.line) + 1;
      anchors_.clear();
      alias_nodes_ = 0;
      if (!next()) break;
      Value root;
      if (event_.type != YAML_DOCUMENT_END_EVENT) {
        line = static_cast<int>(event_.start_mark.line) + 1;
        if (!node(root, 0)) break;
        if (!next()) break;  // DOCUMENT_END
      }
      if (!root.is_null()) result.documents.push_back({std::move(root), index, line});
      ++index;
    }
    if (!error_.message.empty()) result.diagnostics.push_back(error_);
    return result;
  }

  ~Reader() {
    if (have_event_) yaml_event_delete(&event_);
  }

 private:
  bool next() {
    if (have_event_) yaml_event_delete(&event_);
    have_event_ = false;
    if (!yaml_parser_parse(parser_.get(), &event_)) {
      int line = static_cast<int>(parser_->problem_mark.line) + 1;
      std::string problem = parser_->problem ? parser_->problem : "invalid YAML";
      if (parser_->context) problem = std::string(parser_->context) + ": " + problem;
      return failure(line, "YAML syntax error: " + problem);
    }
    have_event_ = true;
    return true;
  }

  bool failure(int line, std::string message) {
    if (error_.message.empty()) error_ = Diagnostic{Severity::error, std::move(message), file_, line, {}};
    return false;
  }

  int line() const { return static_cast<int>(event_.start_mark.line) + 1; }

  // Reads the node whose first event is the current one into `out`.
  bool node(Value& out, std::size_t depth) {
    if (depth > limits_.max_depth)
      return failure(line(), "YAML nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    switch (event_.type) {
      case YAML_ALIAS_EVENT: {
        std::string name = reinterpret_cast<const char*>(event_.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) return failure(line(), "unknown anchor '" + name + "'");
        alias_nodes_ += it->second.nodes;
        nodes_ += it->second.nodes;  // so anchors made of aliases weigh what they expand to
        if (alias_nodes_ > limits_.max_alias_nodes)
          return failure(line(), "YAML aliases expand to more than " + std::to_string(limits_.max_alias_nodes) +
                                     " nodes (an alias bomb?)");
        out = it->second.value;
        return true;
      }
      case YAML_SCALAR_EVENT: {
        std::string_view text(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
        const char* tag = reinterpret_cast<const char*>(event_.data.scalar.tag);
        if (tag && std::strcmp(tag, "!") != 0) out = resolve_tagged(tag, text);
        else if (event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag) out = resolve_plain(text);
        else out = Value(std::string(text));
        remember(event_.data.scalar.anchor, out, 1);
        return true;
      }
      case YAML_SEQUENCE_START_EVENT: {
        std::string anchor = anchor_of(event_.data.sequence_start.anchor);
        std::size_t before = nodes_;
        Array items;
        for (;;) {
          if (!next()) return false;
          if (event_.type == YAML_SEQUENCE_END_EVENT) break;
          items.emplace_back();
          if (!node(items.back(), depth + 1)) return false;
          ++nodes_;
        }
        out = Value(std::move(items));
        remember(anchor, out, nodes_ - before + 1);
        return true;
      }
      case YAML_MAPPING_START_EVENT: {
        std::string anchor = anchor_of(event_.data.mapping_start.anchor);
        std::size_t before = nodes_;
        Object object;
        Object merged;  // from "<<" keys; explicit keys win over them
        for (;;) {
          if (!next()) return false;
          if (event_.type == YAML_MAPPING_END_EVENT) break;
          const int key_line = line();
          const bool merge_key = event_.type == YAML_SCALAR_EVENT && event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                                 std::string_view(reinterpret_cast<const char*>(event_.data.scalar.value)) == "<<";
          Value key;
          if (!node(key, depth + 1)) return false;
          if (!next()) return false;
          Value value;
          if (!node(value, depth + 1)) return false;
          nodes_ += 2;
          if (merge_key) {
            if (!merge_into(merged, value, key_line)) return false;
            continue;
          }
          std::string k = key_text(key);
          if (object.find(k)) return failure(key_line, "mapping key \"" + k + "\" already defined");
          object.set(k, std::move(value));
        }
        for (auto& [k, v] : merged)
          if (!object.find(k)) object.set(k, std::move(v));
        out = Value(std::move(object));
        remember(anchor, out, nodes_ - before + 1);
        return true;
      }
      default:
        return failure(line(), "unexpected YAML event");
    }
  }

  bool merge_into(Object& merged, const Value& source, int at_line) {
    auto merge_one = [&](const Value& m) {
      if (!m.is_object()) return false;
      for (const auto& [k, v] : m.as_object())
        if (!merged.find(k)) merged.set(k, v);
      return true;
    };
    if (merge_one(source)) return true;
    if (source.is_array()) {
      for (const auto& item : source.as_array())
        if (!merge_one(item)) return failure(at_line, "merge key '<<' needs mappings");
      return true;
    }
    return failure(at_line, "merge key '<<' needs a mapping or a list of mappings");
  }

  static std::string anchor_of(const yaml_char_t* anchor) {
    return anchor ? reinterpret_cast<const char*>(anchor) : std::string();
  }
  void remember(const yaml_char_t* anchor, const Value& v, std::size_t nodes) { remember(anchor_of(anchor), v, nodes); }
  void remember(const std::string& anchor, const Value& v, std::size_t nodes) {
    if (!anchor.empty()) anchors_[anchor] = Anchored{v, nodes};
  }

  struct Anchored {
    Value value;
    std::size_t nodes = 1;
  };

  std::unique_ptr<yaml_parser_t, ParserDeleter> parser_;
  yaml_event_t event_{};
  bool have_event_ = false;
  std::string file_;
  YamlLimits limits_;
  Diagnostic error_;
  std::map<std::string, Anchored> anchors_;
  std::size_t alias_nodes_ = 0;
  std::size_t nodes_ = 0;
};

// --- emitting ----------------------------------------------------------------

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  if (!resolve_plain(s).is_string()) return true;  // would read back as bool/number/null
  if (std::isspace(static_cast<unsigned char>(s.front())) || std::isspace(static_cast<unsigned char>(s.back()))) return true;
  if (std::strchr("-?:,[]{}#&*!|>'\"%@`", s.front())) return true;
  if (s == "<<") return true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
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
    // A JSON string is a valid double-quoted YAML scalar.
    out += to_json(v);
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
  if (needs_quotes(key)) out += to_json(Value(key));
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

YamlParseResult parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
  return Reader(text, file, limits).read_all();
}

std::string to_yaml(const Value& value) {
  std::string out;
  emit(out, value, 0);
  return out;
}

}  // namespace driftless

namespace driftless {
Value yaml_plain_scalar(std::string_view text) { return resolve_plain(text); }
}  // namespace driftless
