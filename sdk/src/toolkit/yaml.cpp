#include "driftless/toolkit/yaml.hpp"

#include <yaml.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <memory>
#include <unordered_map>

#include "yaml_json_stream.hpp"
#include "yaml_scalar.hpp"

namespace driftless {
namespace {

using yaml_detail::go_space_at;
using yaml_detail::Scalar;
using yaml_detail::ScalarKind;

// What follows `from` on a line, without leading white space, is empty or a comment.
bool only_comment_after(std::string_view line, std::size_t from) {
  while (std::size_t n = go_space_at(line, from)) from += n;
  return from >= line.size() || line[from] == '#';
}

// One document of a stream as kubectl cuts it out (apimachinery's
// YAMLReader): the lines between two lines starting with "---".
struct Chunk {
  std::string_view text;
  int first_line = 1;  ///< 1-based line of the chunk's first line in the stream
  int index = 0;       ///< the document's position, counted as YAML counts documents
};

// kubectl does not hand the whole stream to a YAML parser: it splits it on
// lines starting with "---" (refusing one followed by anything but a
// comment, "--- {a: 1}"), drops those lines and parses the first document of
// each chunk on its own. So a BOM may start every chunk, and a "%YAML"
// directive, always alone in its chunk, is an error. `text` starts at
// `first_line` of the stream, with `index` documents before it; `bad_line`
// is set for a bad separator.
std::vector<Chunk> kubectl_chunks(std::string_view text, int first_line, int index, int& bad_line) {
  std::vector<Chunk> chunks;
  std::size_t chunk_start = 0;
  int chunk_line = first_line;
  bool content_seen = false, separator_seen = index > 0;
  int line = first_line;
  for (std::size_t pos = 0; pos < text.size(); ++line) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view l = text.substr(pos, end - pos);
    if (l.substr(0, 3) == "---") {
      if (!only_comment_after(l, 3)) {
        bad_line = line;
        return {};
      }
      if (pos > chunk_start) chunks.push_back({text.substr(chunk_start, pos - chunk_start), chunk_line, index});
      // The first "---" of a stream with nothing before it starts the first document.
      if (separator_seen || content_seen) ++index;
      separator_seen = true;
      chunk_start = end + 1;
      chunk_line = line + 1;
    } else if (!content_seen && !only_comment_after(l, 0)) {
      content_seen = true;
    }
    pos = end + 1;
  }
  if (chunk_start < text.size()) chunks.push_back({text.substr(chunk_start), chunk_line, index});
  return chunks;
}

struct ParserDeleter {
  void operator()(yaml_parser_t* p) const {
    yaml_parser_delete(p);
    delete p;
  }
};

// What the aliases of one stream have expanded to so far: every document is
// kept in memory, so the text they copy is bounded per stream.
struct AliasBudget {
  std::size_t bytes = 0;
};

// Finds the JSON escape "\/" in double-quoted scalars: libyaml accepts it,
// go-yaml v2 refuses it. libyaml's marks count characters, not bytes, so a
// cursor walks forward from mark to mark; scalars come in text order, so the
// walk is linear in the chunk, and it only happens when "\/" occurs at all.
class SlashEscapeFinder {
 public:
  explicit SlashEscapeFinder(std::string_view text) : text_(text), any_(text.find("\\/") != std::string_view::npos) {
    if (text_.substr(0, 3) == "\xef\xbb\xbf") offset_ = 3;  // libyaml skips a leading BOM without counting it
  }

  /// The scalar from `start` to `end` holds the escape "\/".
  bool in(const yaml_mark_t& start, const yaml_mark_t& end) {
    if (!any_) return false;
    const std::size_t from = byte_at(start.index);
    const std::size_t to = byte_at(end.index);
    for (std::size_t i = from; i + 1 < to; ++i) {
      if (text_[i] != '\\') continue;
      if (text_[i + 1] == '/') return true;
      ++i;  // an escaped character, maybe a backslash
    }
    return false;
  }

 private:
  std::size_t byte_at(std::size_t character) {
    while (character_ < character && offset_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[offset_]);
      offset_ += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      ++character_;
    }
    return std::min(offset_, text_.size());
  }

  std::string_view text_;
  bool any_;
  std::size_t character_ = 0;
  std::size_t offset_ = 0;
};

// Reads the first document of one chunk, as go-yaml v2's Unmarshal does.
class Reader {
 public:
  Reader(const Chunk& chunk, const std::string& file, const YamlLimits& limits, AliasBudget& budget)
      : parser_(new yaml_parser_t), slashes_(chunk.text), first_line_(chunk.first_line), file_(file), limits_(limits),
        budget_(budget) {
    yaml_parser_initialize(parser_.get());
    yaml_parser_set_input_string(parser_.get(), reinterpret_cast<const unsigned char*>(chunk.text.data()), chunk.text.size());
  }
  ~Reader() {
    if (have_event_) yaml_event_delete(&event_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// The document (null when the chunk holds none) and the line where it
  /// starts; false on an error.
  bool read(Value& out, int& line) {
    if (!next() || !next()) return false;  // STREAM_START, then DOCUMENT_START or STREAM_END
    if (event_.type != YAML_DOCUMENT_START_EVENT) return true;
    line = this->line();
    if (!next()) return false;
    if (event_.type == YAML_DOCUMENT_END_EVENT) return true;
    line = this->line();
    if (!node(out, 0) || !next()) return false;  // DOCUMENT_END
    warn_about_the_rest();
    return true;
  }

  /// The error, when read() failed.
  Diagnostic& error() { return error_; }
  std::vector<Diagnostic>& warnings() { return warnings_; }

 private:
  bool next() {
    if (have_event_) yaml_event_delete(&event_);
    have_event_ = false;
    if (!yaml_parser_parse(parser_.get(), &event_)) {
      int line = static_cast<int>(parser_->problem_mark.line) + first_line_;
      std::string problem = parser_->problem ? parser_->problem : "invalid YAML";
      if (parser_->context) problem = std::string(parser_->context) + ": " + problem;
      return failure(line, "YAML syntax error: " + problem);
    }
    have_event_ = true;
    return true;
  }

  // kubectl reads only the first document of a piece and ignores the rest
  // (after a "...", or after a top-level scalar or flow collection): say so.
  void warn_about_the_rest() {
    yaml_event_t rest;
    std::size_t line = 0;
    if (yaml_parser_parse(parser_.get(), &rest)) {
      const bool more = rest.type != YAML_STREAM_END_EVENT;
      line = rest.start_mark.line;
      yaml_event_delete(&rest);
      if (!more) return;
    } else {  // libyaml wants a "---" before a second document
      line = parser_->problem_mark.line;
    }
    warnings_.push_back({Severity::warning,
                         "what follows the end of this document up to the next '---' line is ignored, as kubectl ignores it",
                         file_, static_cast<int>(line) + first_line_, {}});
  }

  bool failure(int line, std::string message) {
    if (error_.message.empty()) error_ = Diagnostic{Severity::error, std::move(message), file_, line, {}};
    return false;
  }

  int line() const { return static_cast<int>(event_.start_mark.line) + first_line_; }

  // The current scalar event resolved with its tag and style.
  bool scalar(Scalar& out) {
    std::string_view text(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
    const char* tag = reinterpret_cast<const char*>(event_.data.scalar.tag);
    std::string problem;
    if (event_.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && slashes_.in(event_.start_mark, event_.end_mark))
      return failure(line(), "found unknown escape character '\\/' (Kubernetes' YAML reader does not know it; write '/')");
    if (!yaml_detail::resolve_scalar(tag ? tag : "", text, event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE, out, problem))
      return failure(line(), problem);
    bytes_ += text.size();
    return true;
  }

  bool alias(Value& out, ScalarKind* kind) {
    std::string name = reinterpret_cast<const char*>(event_.data.alias.anchor);
    auto it = anchors_.find(name);
    if (it == anchors_.end()) return failure(line(), "unknown anchor '" + name + "' referenced");
    alias_nodes_ += it->second.nodes;
    nodes_ += it->second.nodes;  // so anchors made of aliases weigh what they expand to
    bytes_ += it->second.bytes;
    budget_.bytes += it->second.bytes;
    if (alias_nodes_ > limits_.max_alias_nodes)
      return failure(line(), "YAML aliases expand to more than " + std::to_string(limits_.max_alias_nodes) +
                                 " nodes (an alias bomb?)");
    if (budget_.bytes > limits_.max_alias_bytes)
      return failure(line(), "YAML aliases expand to more than " + std::to_string(limits_.max_alias_bytes) +
                                 " bytes of text in this file (an alias bomb?); alias '" + name + "' is one too many");
    out = it->second.value;
    if (kind) *kind = it->second.kind;
    return true;
  }

  // What a node read from here on weighs, for an anchor on it.
  struct Weight {
    std::size_t nodes, bytes;
  };
  Weight weight_since(const Weight& before) const { return {nodes_ - before.nodes + 1, bytes_ - before.bytes}; }
  Weight now() const { return {nodes_, bytes_}; }

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
        remember(event_.data.scalar.anchor, s.value, {1, event_.data.scalar.length}, s.kind);
        out = std::move(s.value);
        return true;
      }
      case YAML_SEQUENCE_START_EVENT: {
        std::string anchor = anchor_of(event_.data.sequence_start.anchor);
        const Weight before = now();
        Array items;
        for (;;) {
          if (!next()) return false;
          if (event_.type == YAML_SEQUENCE_END_EVENT) break;
          items.emplace_back();
          if (!node(items.back(), depth + 1)) return false;
          ++nodes_;
        }
        out = Value(std::move(items));
        remember(anchor, out, weight_since(before), ScalarKind::string);
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
    const Weight before = now();
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
    remember(anchor, out, weight_since(before), ScalarKind::string);
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
      remember(event_.data.scalar.anchor, key.value, {1, event_.data.scalar.length}, key.kind);
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
  void remember(const yaml_char_t* anchor, const Value& v, Weight weight, ScalarKind kind) {
    if (anchor) remember(anchor_of(anchor), v, weight, kind);
  }
  void remember(const std::string& anchor, const Value& v, Weight weight, ScalarKind kind) {
    if (!anchor.empty()) anchors_[anchor] = Anchored{v, weight.nodes, weight.bytes, kind};
  }

  struct Anchored {
    Value value;
    std::size_t nodes = 1;
    std::size_t bytes = 0;  ///< text of its scalars, aliases expanded
    ScalarKind kind = ScalarKind::string;
  };

  std::unique_ptr<yaml_parser_t, ParserDeleter> parser_;
  yaml_event_t event_{};
  bool have_event_ = false;
  SlashEscapeFinder slashes_;
  int first_line_;
  const std::string& file_;
  const YamlLimits& limits_;
  AliasBudget& budget_;
  Diagnostic error_;
  std::vector<Diagnostic> warnings_;
  std::map<std::string, Anchored> anchors_;
  std::size_t alias_nodes_ = 0;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace

YamlParseResult parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
  YamlParseResult result;
  std::size_t yaml_from = 0;
  if (yaml_detail::starts_as_json(text)) {
    yaml_from = yaml_detail::read_json_stream(text, file, limits, result);
    if (yaml_from == std::string_view::npos) return result;
  }
  int bad_line = 0;
  const int first_line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(yaml_from), '\n'));
  const std::vector<Chunk> chunks =
      kubectl_chunks(text.substr(yaml_from), first_line, static_cast<int>(result.documents.size()), bad_line);
  if (bad_line > 0) {
    result.diagnostics.push_back({Severity::error, "invalid YAML document separator: only a comment may follow '---' on its line",
                                  file, bad_line, {}});
    return result;
  }
  AliasBudget budget;
  std::vector<Diagnostic> warnings;
  for (const Chunk& chunk : chunks) {
    Reader reader(chunk, file, limits, budget);
    Value root;
    int line = chunk.first_line;
    const bool ok = reader.read(root, line);
    std::move(reader.warnings().begin(), reader.warnings().end(), std::back_inserter(warnings));
    if (!ok) {
      result.diagnostics.push_back(std::move(reader.error()));
      break;
    }
    if (!root.is_null()) result.documents.push_back({std::move(root), chunk.index, line});
  }
  std::move(warnings.begin(), warnings.end(), std::back_inserter(result.diagnostics));
  return result;
}

}  // namespace driftless

namespace driftless {
Value yaml_plain_scalar(std::string_view text) { return yaml_detail::resolve_plain_scalar(text).value; }
}  // namespace driftless
