#include "driftless/yaml.hpp"

#include <yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

#include "yaml_scalar.hpp"

namespace driftless {
namespace {

using yaml_detail::Scalar;
using yaml_detail::ScalarKind;

bool starts_with(std::string_view line, std::string_view prefix) { return line.substr(0, prefix.size()) == prefix; }

// Only spaces or a comment after a marker.
bool only_comment_after(std::string_view line, std::size_t from) {
  while (from < line.size() && std::isspace(static_cast<unsigned char>(line[from]))) ++from;
  return from == line.size() || line[from] == '#';
}

// kubectl does not hand the whole stream to a YAML parser: it first splits it
// on lines starting with "---" (refusing one followed by anything but a
// comment, "--- {a: 1}") and parses one document per chunk, ignoring what
// follows an explicit "..." end inside a chunk. The text libyaml should see
// is `text` with those ignored lines blanked (line numbers stay), copied into
// `storage` only when there are any; `bad_line` is set for a bad separator.
std::string_view as_kubectl_splits(std::string_view text, std::string& storage, int& bad_line) {
  bool after_end = false;
  int line = 1;
  for (std::size_t pos = 0; pos < text.size(); ++line) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view l = text.substr(pos, end - pos);
    if (starts_with(l, "---")) {
      if (!only_comment_after(l, 3)) {
        bad_line = line;
        return text;
      }
      after_end = false;
    } else if (after_end && !only_comment_after(l, 0)) {
      if (storage.empty()) storage.assign(text);
      for (std::size_t i = pos; i < end; ++i)
        if (storage[i] != '\r') storage[i] = ' ';
    } else if (starts_with(l, "...") && only_comment_after(l, 3)) {
      after_end = true;
    }
    pos = end + 1;
  }
  return storage.empty() ? text : std::string_view(storage);
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
      : parser_(new yaml_parser_t), text_(text), file_(file), limits_(limits) {
    yaml_parser_initialize(parser_.get());
    yaml_parser_set_input_string(parser_.get(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Reader() {
    if (have_event_) yaml_event_delete(&event_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  YamlParseResult read_all() {
    YamlParseResult result;
    int index = 0;
    while (next()) {
      if (event_.type == YAML_STREAM_END_EVENT) break;
      if (event_.type != YAML_DOCUMENT_START_EVENT) continue;
      int line = this->line();
      anchors_.clear();
      alias_nodes_ = 0;
      if (!next()) break;
      Value root;
      if (event_.type != YAML_DOCUMENT_END_EVENT) {
        line = this->line();
        if (!node(root, 0)) break;
        if (!next()) break;  // DOCUMENT_END
      }
      if (!root.is_null()) result.documents.push_back({std::move(root), index, line});
      ++index;
    }
    if (!error_.message.empty()) result.diagnostics.push_back(error_);
    for (auto& w : warnings_) result.diagnostics.push_back(std::move(w));
    return result;
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

  // The current scalar event resolved with its tag and style.
  bool scalar(Scalar& out) {
    std::string_view text(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
    const char* tag = reinterpret_cast<const char*>(event_.data.scalar.tag);
    std::string problem;
    if (event_.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && text.find('/') != std::string_view::npos &&
        has_slash_escape())
      return failure(line(), "found unknown escape character '\\/' (Kubernetes' YAML reader does not know it; write '/')");
    if (!yaml_detail::resolve_scalar(tag ? tag : "", text, event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE, out, problem))
      return failure(line(), problem);
    return true;
  }

  // libyaml accepts the JSON escape "\\/" that go-yaml v2 refuses; looks for it
  // in the source lines of the current double-quoted scalar.
  bool has_slash_escape() const {
    std::size_t pos = 0;
    for (std::size_t l = 0; l < event_.start_mark.line && pos != std::string_view::npos; ++l) pos = text_.find('\n', pos) + 1;
    std::size_t end = pos;
    for (std::size_t l = event_.start_mark.line; l <= event_.end_mark.line && end < text_.size(); ++l) {
      end = text_.find('\n', end);
      end = end == std::string_view::npos ? text_.size() : end + 1;
    }
    for (std::size_t i = pos; i + 1 < end; ++i) {
      if (text_[i] != '\\') continue;
      if (text_[i + 1] == '/') return true;
      ++i;  // an escaped character, maybe a backslash
    }
    return false;
  }

  bool alias(Value& out, ScalarKind* kind) {
    std::string name = reinterpret_cast<const char*>(event_.data.alias.anchor);
    auto it = anchors_.find(name);
    if (it == anchors_.end()) return failure(line(), "unknown anchor '" + name + "' referenced");
    alias_nodes_ += it->second.nodes;
    nodes_ += it->second.nodes;  // so anchors made of aliases weigh what they expand to
    if (alias_nodes_ > limits_.max_alias_nodes)
      return failure(line(), "YAML aliases expand to more than " + std::to_string(limits_.max_alias_nodes) +
                                 " nodes (an alias bomb?)");
    out = it->second.value;
    if (kind) *kind = it->second.kind;
    return true;
  }

  // Reads the node whose first event is the current one into `out`.
  bool node(Value& out, std::size_t depth) {
    if (depth > limits_.max_depth)
      return failure(line(), "YAML nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    switch (event_.type) {
      case YAML_ALIAS_EVENT:
        return alias(out, nullptr);
      case YAML_SCALAR_EVENT: {
        Scalar s;
        if (!scalar(s)) return false;
        if (s.value.type() == ValueType::number && !std::isfinite(s.value.as_double()))
          return failure(line(), "the value '" + std::string(reinterpret_cast<const char*>(event_.data.scalar.value)) +
                                     "' is not a JSON number (Kubernetes refuses it); quote it to make it a string");
        remember(event_.data.scalar.anchor, s.value, 1, s.kind);
        out = std::move(s.value);
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
        remember(anchor, out, nodes_ - before + 1, ScalarKind::string);
        return true;
      }
      case YAML_MAPPING_START_EVENT:
        return mapping(out, depth);
      default:
        return failure(line(), "unexpected YAML event");
    }
  }

  // A mapping the way go-yaml v2 fills a Go map: in document order, later keys
  // and merges ("<<") overwriting earlier ones.
  bool mapping(Value& out, std::size_t depth) {
    std::string anchor = anchor_of(event_.data.mapping_start.anchor);
    std::size_t before = nodes_;
    MappingBuilder members;
    for (;;) {
      if (!next()) return false;
      if (event_.type == YAML_MAPPING_END_EVENT) break;
      const int key_line = line();
      const bool merge = is_merge_key();
      std::string key;
      if (!merge && !key_text(key, depth)) return false;
      if (!next()) return false;
      Value value;
      if (!node(value, depth + 1)) return false;
      nodes_ += 2;
      if (merge) {
        if (!merge_into(members, value, key_line)) return false;
      } else if (members.set(std::move(key), std::move(value), true)) {
        warnings_.push_back({Severity::warning,
                             "mapping key \"" + members.last_key() + "\" is defined twice; the last value is used",
                             file_, key_line, {}});
      }
    }
    out = Value(members.take());
    remember(anchor, out, nodes_ - before + 1, ScalarKind::string);
    return true;
  }

  bool is_merge_key() const {
    if (event_.type != YAML_SCALAR_EVENT) return false;
    const std::string_view text(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
    const char* tag = reinterpret_cast<const char*>(event_.data.scalar.tag);
    if (text != "<<") return false;
    return tag ? std::string_view(tag) == "tag:yaml.org,2002:merge" : event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  }

  // The JSON member name of the key node at the current event, as
  // sigs.k8s.io/yaml converts go-yaml's key types.
  bool key_text(std::string& out, std::size_t depth) {
    Scalar key;
    if (event_.type == YAML_SCALAR_EVENT) {
      if (!scalar(key)) return false;
      remember(event_.data.scalar.anchor, key.value, 1, key.kind);
    } else if (event_.type == YAML_ALIAS_EVENT) {
      if (!alias(key.value, &key.kind)) return false;
    } else {
      Value ignored;
      if (!node(ignored, depth + 1)) return false;
      return failure(line(), "a mapping key must be a scalar, not a " + std::string(to_string(ignored.type())));
    }
    if (key.value.is_array() || key.value.is_object())
      return failure(line(), "a mapping key must be a scalar, not a " + std::string(to_string(key.value.type())));
    switch (key.kind) {
      case ScalarKind::null: return failure(line(), "a mapping key is null; Kubernetes cannot use it (quote it)");
      case ScalarKind::unsigned_integer:
        return failure(line(), "a mapping key is an integer beyond int64; Kubernetes cannot use it (quote it)");
      case ScalarKind::boolean: out = key.value.as_bool() ? "true" : "false"; return true;
      case ScalarKind::integer: out = std::to_string(key.value.as_int()); return true;
      case ScalarKind::floating: out = yaml_detail::go_float32_key(key.value.as_double()); return true;
      case ScalarKind::timestamp:
      case ScalarKind::string: out = std::move(key.value.as_string()); return true;
    }
    return false;
  }

  // Members in insertion order with an index once a mapping grows large, so a
  // ConfigMap with thousands of keys does not cost a quadratic search.
  class MappingBuilder {
   public:
    MappingBuilder() { object_.reserve(4); }  // most Kubernetes mappings are small: grow once at most
    /// Sets `key` (from the mapping itself when `explicit_key`, else from a
    /// merge); true when the mapping itself already set it: a duplicate.
    bool set(std::string key, Value value, bool explicit_key) {
      const std::size_t at = position(key);
      if (at != kNone) {
        (object_.begin() + static_cast<long>(at))->second = std::move(value);
        if (!explicit_key) return false;  // a merge never makes a duplicate
        auto merged = std::find(merged_.begin(), merged_.end(), at);
        if (merged != merged_.end()) {  // overriding a merged value is what "<<" is for
          merged_.erase(merged);
          return false;
        }
        last_ = std::move(key);
        return true;
      }
      if (!index_.empty() || object_.size() >= kIndexFrom) {
        if (index_.empty())
          for (std::size_t i = 0; i < object_.size(); ++i) index_.emplace((object_.begin() + static_cast<long>(i))->first, i);
        index_.emplace(key, object_.size());
      }
      if (!explicit_key) merged_.push_back(object_.size());
      object_.append_new(std::move(key), std::move(value));
      return false;
    }
    const std::string& last_key() const { return last_; }
    /// The members, in a vector of exactly their number: a daemon keeps
    /// tens of thousands of these mappings in memory.
    Object take() {
      if (object_.size() == 4) return std::move(object_);  // the reserved size: nothing to give back
      Object exact;
      exact.reserve(object_.size());
      for (auto& [key, value] : object_) exact.append_new(std::move(key), std::move(value));
      return exact;
    }

   private:
    static constexpr std::size_t kIndexFrom = 16;
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t position(const std::string& key) const {
      if (index_.empty()) {
        std::size_t i = 0;
        for (const auto& member : object_) {
          if (member.first == key) return i;
          ++i;
        }
        return kNone;
      }
      auto it = index_.find(key);
      return it == index_.end() ? kNone : it->second;
    }
    Object object_;
    std::vector<std::size_t> merged_;  ///< positions whose value came from a merge (rare: no allocation otherwise)
    std::unordered_map<std::string, std::size_t> index_;
    std::string last_;
  };

  bool merge_into(MappingBuilder& members, const Value& source, int at_line) {
    if (source.is_object()) {
      for (const auto& [k, v] : source.as_object()) members.set(k, v, false);
      return true;
    }
    if (source.is_array()) {
      for (const auto& item : source.as_array())
        if (!item.is_object()) return failure(at_line, "merge key '<<' needs a mapping or a list of mappings");
      // go-yaml merges the list backwards: earlier mappings take precedence.
      for (auto it = source.as_array().rbegin(); it != source.as_array().rend(); ++it)
        for (const auto& [k, v] : it->as_object()) members.set(k, v, false);
      return true;
    }
    return failure(at_line, "merge key '<<' needs a mapping or a list of mappings");
  }

  static std::string anchor_of(const yaml_char_t* anchor) {
    return anchor ? reinterpret_cast<const char*>(anchor) : std::string();
  }
  void remember(const yaml_char_t* anchor, const Value& v, std::size_t nodes, ScalarKind kind) {
    if (anchor) remember(anchor_of(anchor), v, nodes, kind);
  }
  void remember(const std::string& anchor, const Value& v, std::size_t nodes, ScalarKind kind) {
    if (!anchor.empty()) anchors_[anchor] = Anchored{v, nodes, kind};
  }

  struct Anchored {
    Value value;
    std::size_t nodes = 1;
    ScalarKind kind = ScalarKind::string;
  };

  std::unique_ptr<yaml_parser_t, ParserDeleter> parser_;
  yaml_event_t event_{};
  bool have_event_ = false;
  std::string_view text_;
  std::string file_;
  YamlLimits limits_;
  Diagnostic error_;
  std::vector<Diagnostic> warnings_;
  std::map<std::string, Anchored> anchors_;
  std::size_t alias_nodes_ = 0;
  std::size_t nodes_ = 0;
};

// --- emitting ----------------------------------------------------------------

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  if (!yaml_detail::resolve_plain_scalar(s).value.is_string()) return true;  // would read back as bool/number/null
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
  std::string blanked;
  int bad_line = 0;
  const std::string_view view = as_kubectl_splits(text, blanked, bad_line);
  if (bad_line > 0) {
    YamlParseResult result;
    result.diagnostics.push_back({Severity::error, "invalid YAML document separator: only a comment may follow '---' on its line",
                                  file, bad_line, {}});
    return result;
  }
  return Reader(view, file, limits).read_all();
}

std::string to_yaml(const Value& value) {
  std::string out;
  emit(out, value, 0);
  return out;
}

}  // namespace driftless

namespace driftless {
Value yaml_plain_scalar(std::string_view text) { return yaml_detail::resolve_plain_scalar(text).value; }
}  // namespace driftless
