#include "envsubst.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace driftless::renderers {
namespace {

// Flux's error wording (fluxcd/pkg/envsubst/parse/parse.go).
constexpr const char* kBadSubstitution = "bad substitution";
constexpr const char* kMissingClosingBrace = "missing closing brace";
constexpr const char* kParseVariableName = "unable to parse variable name";
constexpr const char* kParseFuncSubstitution = "unable to parse substitution within function";
constexpr const char* kParseDefaultFunction = "unable to parse default function";

constexpr char32_t kEof = 0;  // as in the original, a NUL byte also ends the text
constexpr char32_t kRuneError = 0xFFFD;

// One UTF-8 character of `text` at `pos` and its width, as Go decodes it: an
// invalid byte is U+FFFD of width 1, the end is width 0.
std::pair<char32_t, std::size_t> decode(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return {kEof, 0};
  const auto byte = static_cast<unsigned char>(text[pos]);
  if (byte < 0x80) return {byte, 1};
  const std::size_t width = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0;
  if (width == 0 || pos + width > text.size()) return {kRuneError, 1};
  char32_t rune = byte & (0x7F >> width);
  for (std::size_t i = 1; i < width; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return {kRuneError, 1};
    rune = (rune << 6) | (next & 0x3F);
  }
  return {rune, width};
}

// ------------------------------------------------------------------ scanner

enum class Token { illegal, eof, ident, lbrack, rbrack };

enum Mode : std::uint8_t { kScanIdent = 1, kScanLbrack = 2, kScanRbrack = 4, kScanEscape = 8 };
enum EscapeChars : std::uint8_t { kDollar = 1, kBackslash = 2, kEscapeAll = 3 };

using Accept = bool (*)(char32_t rune, std::size_t index);

bool is_ident(char32_t r) {
  // Go's unicode.IsLetter/IsDigit; every non-ASCII character counts as a
  // letter here (variable names themselves are ASCII, see substitute_stage).
  return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' || r >= 0x80;
}
bool accept_rune(char32_t, std::size_t) { return true; }
bool accept_ident(char32_t r, std::size_t) { return is_ident(r); }
bool accept_colon(char32_t r, std::size_t) { return r == ':'; }
bool accept_one_hash(char32_t r, std::size_t i) { return r == '#' && i == 1; }
bool accept_not_closing(char32_t r, std::size_t) { return r != '}'; }
bool accept_hash_func(char32_t r, std::size_t i) { return r == '#' && i < 3; }
bool accept_percent_func(char32_t r, std::size_t i) { return r == '%' && i < 3; }
bool accept_default_func(char32_t r, std::size_t i) {
  return (i == 1 && r == ':') || (i == 2 && (r == '=' || r == '-' || r == '?' || r == '+'));
}
bool accept_replace_func(char32_t r, std::size_t i) {
  return (i == 1 && r == '/') || (i == 2 && (r == '/' || r == '#' || r == '%'));
}
bool accept_one_equal(char32_t r, std::size_t i) { return i == 1 && r == '='; }
bool accept_one_colon(char32_t r, std::size_t i) { return i == 1 && r == ':'; }
bool reject_colon_close(char32_t r, std::size_t) { return r != ':' && r != '}'; }
bool accept_slash(char32_t r, std::size_t) { return r == '/'; }
bool accept_not_slash(char32_t r, std::size_t) { return r != '/'; }
bool accept_casing_func(char32_t r, std::size_t i) { return (r == ',' || r == '^') && i < 3; }

// The original's scanner, step for step: an escape removes its first
// character from the buffer, so the token text is the unescaped text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : buf_(text) {}

  std::uint8_t mode = 0;
  std::uint8_t escape_chars = 0;
  Accept accept = accept_rune;

  char32_t read() {
    auto [rune, width] = decode(buf_, pos_);
    width_ = width;
    pos_ += width;
    return rune;
  }
  void unread() { pos_ -= width_; }
  char32_t peek() {
    const char32_t rune = read();
    unread();
    return rune;
  }
  std::string text() const { return buf_.substr(start_, pos_ - start_); }

  Token scan() {
    start_ = pos_;
    const char32_t r = read();
    if (r == kEof) return Token::eof;
    if (scan_lbrack(r)) return Token::lbrack;
    if (scan_rbrack(r)) return Token::rbrack;
    if (scan_ident(r)) return Token::ident;
    return Token::illegal;
  }

 private:
  void skip() { buf_.erase(pos_ - 1, 1); }

  bool scan_lbrack(char32_t r) {
    if (!(mode & kScanLbrack) || r != '$') return false;
    if (read() == '{') return true;
    unread();
    return false;
  }
  bool scan_rbrack(char32_t r) const { return (mode & kScanRbrack) && r == '}'; }

  bool scan_escaped(char32_t r) {
    if (!(mode & kScanEscape)) return false;
    if (r == '$' && (escape_chars & kDollar) && peek() == '$') return true;
    if (r == '\\' && (escape_chars & kBackslash)) {
      const char32_t next = peek();
      return next == '/' || next == '\\';
    }
    return false;
  }

  bool scan_ident(char32_t r) {
    if (!(mode & kScanIdent)) return false;
    if (scan_escaped(r)) skip();
    else if (!accept(r, pos_ - start_)) return false;
    for (;;) {
      const char32_t next = read();
      if (next == kEof) {
        unread();
        break;
      }
      if (scan_lbrack(next)) {
        unread();
        unread();
        break;
      }
      if (scan_escaped(next)) {
        skip();
        continue;
      }
      if (!accept(next, pos_ - start_)) {
        unread();
        break;
      }
    }
    return true;
  }

  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
  std::size_t width_ = 0;
};

// ------------------------------------------------------------------ parser

struct Node {
  bool is_function = false;
  std::string text;   ///< a text node's value
  std::string param;  ///< a function's variable
  std::string name;   ///< a function's operator ("" = plain ${var})
  std::vector<Node> args;
};

Node text_node(std::string text) { return Node{false, std::move(text), {}, {}, {}}; }
Node function_node(std::string param) { return Node{true, {}, std::move(param), {}, {}}; }

class Parser {
 public:
  explicit Parser(std::string_view text) : scanner_(text) {}

  Result<std::vector<Node>> parse() {
    std::vector<Node> nodes;
    for (;;) {
      scanner_.accept = accept_rune;
      scanner_.mode = kScanIdent | kScanLbrack | kScanEscape;
      scanner_.escape_chars = kDollar;
      switch (scanner_.scan()) {
        case Token::ident: nodes.push_back(text_node(scanner_.text())); break;
        case Token::eof: return nodes;
        case Token::lbrack: {
          auto node = parse_function();
          if (!node.ok()) return node.error();
          nodes.push_back(std::move(*node));
          break;
        }
        default: return failure(kBadSubstitution);
      }
    }
  }

 private:
  static Error failure(const char* what) { return Error{ErrorCode::invalid_input, what}; }

  bool scan_as(Accept accept, std::uint8_t mode, Token wanted) {
    scanner_.accept = accept;
    scanner_.mode = mode;
    return scanner_.scan() == wanted;
  }

  Result<Node> parse_function() {
    scanner_.escape_chars = kEscapeAll;
    if (scanner_.peek() == '#') return parse_length();
    if (!scan_as(accept_ident, kScanIdent, Token::ident)) return failure(kParseVariableName);
    const std::string name = scanner_.text();
    switch (scanner_.peek()) {
      case ':': return parse_default_or_substring(name);
      case '=': return parse_default(name);
      case ',':
      case '^': return parse_casing(name);
      case '/': return parse_replace(name);
      case '#': return parse_remove(name, accept_hash_func);
      case '%': return parse_remove(name, accept_percent_func);
      default: break;
    }
    if (!scan_as(accept_ident, kScanRbrack, Token::rbrack)) return failure(kMissingClosingBrace);
    return function_node(name);
  }

  Result<Node> parse_param(Accept accept, std::uint8_t mode) {
    scanner_.accept = accept;
    scanner_.mode = mode | kScanLbrack;
    switch (scanner_.scan()) {
      case Token::lbrack: return parse_function();
      case Token::ident:
      case Token::rbrack: return text_node(scanner_.text());
      default: return failure(kParseFuncSubstitution);
    }
  }

  Result<void> add_param(Node& node, Accept accept, std::uint8_t mode) {
    auto param = parse_param(accept, mode);
    if (!param.ok()) return param.error();
    node.args.push_back(std::move(*param));
    return {};
  }

  Result<Node> closed(Node node) {
    scanner_.mode = kScanRbrack;
    if (scanner_.scan() != Token::rbrack) return failure(kBadSubstitution);
    return node;
  }

  // The original looks one character past the ':' and steps back by the
  // width of that character, not of the ':' (kept: it decides the error).
  Result<Node> parse_default_or_substring(const std::string& name) {
    scanner_.read();
    const char32_t next = scanner_.peek();
    scanner_.unread();
    if (next == '=' || next == '-' || next == '?' || next == '+') return parse_default(name);
    return parse_substring(name);
  }

  // ${param:offset} and ${param:offset:length}
  Result<Node> parse_substring(const std::string& name) {
    Node node = function_node(name);
    if (!scan_as(accept_one_colon, kScanIdent, Token::ident)) return failure(kBadSubstitution);
    node.name = scanner_.text();
    if (auto done = add_param(node, reject_colon_close, kScanIdent); !done.ok()) return done.error();
    scanner_.accept = accept_colon;
    scanner_.mode = kScanIdent | kScanRbrack;
    switch (scanner_.scan()) {
      case Token::rbrack: return node;
      case Token::ident: break;
      default: return failure(kBadSubstitution);
    }
    if (auto done = add_param(node, accept_not_closing, kScanIdent); !done.ok()) return done.error();
    return closed(std::move(node));
  }

  // ${param#word} ${param##word} ${param%word} ${param%%word}
  Result<Node> parse_remove(const std::string& name, Accept accept) {
    Node node = function_node(name);
    if (!scan_as(accept, kScanIdent, Token::ident)) return failure(kBadSubstitution);
    node.name = scanner_.text();
    if (auto done = add_param(node, accept_not_closing, kScanIdent); !done.ok()) return done.error();
    return closed(std::move(node));
  }

  // ${param/pattern/string} ${param//pattern/string} ${param/#pattern/string} ${param/%pattern/string}
  Result<Node> parse_replace(const std::string& name) {
    Node node = function_node(name);
    if (!scan_as(accept_replace_func, kScanIdent, Token::ident)) return failure(kBadSubstitution);
    node.name = scanner_.text();
    if (auto done = add_param(node, accept_not_slash, kScanIdent | kScanEscape); !done.ok()) return done.error();
    if (!scan_as(accept_slash, kScanIdent, Token::ident)) return failure(kBadSubstitution);
    if (scanner_.peek() == '}') return closed(std::move(node));
    if (auto done = add_param(node, accept_not_closing, kScanIdent | kScanEscape); !done.ok()) return done.error();
    return closed(std::move(node));
  }

  // ${param=word} ${param:=word} ${param:-word} ${param:?word} ${param:+word}
  Result<Node> parse_default(const std::string& name) {
    Node node = function_node(name);
    const Accept accept = scanner_.peek() == '=' ? accept_one_equal : accept_default_func;
    if (!scan_as(accept, kScanIdent, Token::ident)) return failure(kParseDefaultFunction);
    node.name = scanner_.text();
    while (scanner_.peek() != '}')
      if (auto done = add_param(node, accept_not_closing, kScanIdent); !done.ok()) return done.error();
    return closed(std::move(node));
  }

  // ${param,} ${param,,} ${param^} ${param^^}
  Result<Node> parse_casing(const std::string& name) {
    Node node = function_node(name);
    if (!scan_as(accept_casing_func, kScanIdent, Token::ident)) return failure(kBadSubstitution);
    node.name = scanner_.text();
    return closed(std::move(node));
  }

  // ${#param}
  Result<Node> parse_length() {
    Node node = function_node("");
    if (!scan_as(accept_one_hash, kScanIdent, Token::ident)) return failure(kBadSubstitution);
    node.name = scanner_.text();
    if (!scan_as(accept_ident, kScanIdent, Token::ident)) return failure(kBadSubstitution);
    node.param = scanner_.text();
    return closed(std::move(node));
  }

  Scanner scanner_;
};

// ------------------------------------------------------------------ functions

// Go's strconv.Atoi: an optional sign and decimal digits, nothing else.
std::optional<std::int64_t> go_atoi(const std::string& text) {
  std::size_t i = text.empty() || (text[0] != '+' && text[0] != '-') ? 0 : 1;
  if (i == text.size()) return std::nullopt;
  const bool negative = text[0] == '-';
  std::int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    const int digit = text[i] - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

std::string reverse_runes(const std::string& text) {
  std::vector<std::string> runes;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t width = decode(text, pos).second;
    runes.push_back(text.substr(pos, width));
    pos += width;
  }
  std::string out;
  for (auto it = runes.rbegin(); it != runes.rend(); ++it) out += *it;
  return out;
}

// fluxcd/pkg/envsubst/path.Match: Go's path.Match where '*' and '?' also
// match '/'. nullopt for a malformed pattern.
class GlobMatcher {
 public:
  static std::optional<bool> match(std::string_view pattern, std::string_view name) {
    while (!pattern.empty()) {
      bool star = false;
      while (!pattern.empty() && pattern[0] == '*') {
        pattern.remove_prefix(1);
        star = true;
      }
      const std::string_view chunk = pattern.substr(0, chunk_length(pattern));
      pattern.remove_prefix(chunk.size());
      if (star && chunk.empty()) return true;
      bool bad = false;
      auto rest = match_chunk(chunk, name, bad);
      if (rest && (rest->empty() || !pattern.empty())) {
        name = *rest;
        continue;
      }
      if (bad) return std::nullopt;
      bool found = false;
      if (star) {
        for (std::size_t i = 0; i < name.size() && !found; ++i) {
          auto skipped = match_chunk(chunk, name.substr(i + 1), bad);
          if (skipped) {
            if (pattern.empty() && !skipped->empty()) continue;
            name = *skipped;
            found = true;
          } else if (bad) {
            return std::nullopt;
          }
        }
      }
      if (!found) return false;
    }
    return name.empty();
  }

 private:
  static std::size_t chunk_length(std::string_view pattern) {
    bool in_range = false;
    std::size_t i = 0;
    for (; i < pattern.size(); ++i) {
      if (pattern[i] == '\\') {
        if (i + 1 < pattern.size()) ++i;
      } else if (pattern[i] == '[') {
        in_range = true;
      } else if (pattern[i] == ']') {
        in_range = false;
      } else if (pattern[i] == '*' && !in_range) {
        break;
      }
    }
    return i;
  }

  static std::optional<char32_t> escaped_rune(std::string_view& chunk, bool& bad) {
    if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return bad = true, std::nullopt;
    if (chunk[0] == '\\') {
      chunk.remove_prefix(1);
      if (chunk.empty()) return bad = true, std::nullopt;
    }
    auto [rune, width] = decode(chunk, 0);
    if (rune == kRuneError && width == 1) bad = true;
    chunk.remove_prefix(width);
    if (chunk.empty()) bad = true;
    if (bad) return std::nullopt;
    return rune;
  }

  static std::optional<std::string_view> match_chunk(std::string_view chunk, std::string_view s, bool& bad) {
    while (!chunk.empty()) {
      if (s.empty()) return std::nullopt;
      if (chunk[0] == '[') {
        auto [rune, width] = decode(s, 0);
        s.remove_prefix(width);
        chunk.remove_prefix(1);
        bool negated = !chunk.empty() && chunk[0] == '^';
        if (negated) chunk.remove_prefix(1);
        bool matched = false;
        for (int ranges = 0;; ++ranges) {
          if (!chunk.empty() && chunk[0] == ']' && ranges > 0) {
            chunk.remove_prefix(1);
            break;
          }
          auto lo = escaped_rune(chunk, bad);
          if (!lo) return std::nullopt;
          char32_t hi = *lo;
          if (chunk[0] == '-') {
            chunk.remove_prefix(1);
            auto upper = escaped_rune(chunk, bad);
            if (!upper) return std::nullopt;
            hi = *upper;
          }
          if (*lo <= rune && rune <= hi) matched = true;
        }
        if (matched == negated) return std::nullopt;
      } else if (chunk[0] == '?') {
        s.remove_prefix(decode(s, 0).second);
        chunk.remove_prefix(1);
      } else {
        if (chunk[0] == '\\') {
          chunk.remove_prefix(1);
          if (chunk.empty()) return bad = true, std::nullopt;
        }
        if (chunk[0] != s[0]) return std::nullopt;
        s.remove_prefix(1);
        chunk.remove_prefix(1);
      }
    }
    return s;
  }
};

std::string trim_shortest(const std::string& s, const std::string& pattern) {
  std::string shortest;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto matched = GlobMatcher::match(pattern, std::string_view(s).substr(0, s.size() - i));
    if (!matched) return s;
    if (*matched) shortest = s.substr(0, s.size() - i);
  }
  return shortest.empty() ? s : s.substr(shortest.size());
}

std::string trim_longest(const std::string& s, const std::string& pattern) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto matched = GlobMatcher::match(pattern, std::string_view(s).substr(0, s.size() - i));
    if (!matched) return s;
    if (*matched) return s.substr(s.size() - i);
  }
  return s;
}

std::string ascii_cased(std::string s, bool upper, bool first_only) {
  for (auto& c : s) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
    if (first_only) break;
  }
  return s;
}

// ------------------------------------------------------------------ evaluation

class Evaluator {
 public:
  Evaluator(const VariableLookup& lookup, bool strict, std::size_t max_bytes)
      : lookup_(lookup), strict_(strict), max_bytes_(max_bytes) {}

  Result<void> eval(const Node& node, std::string& out) {
    if (!node.is_function) return append(out, node.text);
    std::vector<std::string> args;
    for (const auto& arg : node.args) {
      args.emplace_back();
      if (auto done = eval(arg, args.back()); !done.ok()) return done;
    }
    const std::optional<std::string> found = lookup_(node.param);
    if (!found && strict_ && !is_default_operator(node.name))
      return fail(ErrorCode::invalid_input, "variable not set (strict mode): \"" + node.param + "\"");
    return apply(node.name, found.value_or(""), args, out);
  }

 private:
  static bool is_default_operator(const std::string& name) {
    static const char* const kDefaults[] = {"-", "+", "=", "?", ":-", ":+", ":=", ":?"};
    return std::find(std::begin(kDefaults), std::end(kDefaults), name) != std::end(kDefaults);
  }

  Result<void> append(std::string& out, std::string_view text) {
    produced_ += text.size();
    if (produced_ > max_bytes_)
      return fail(ErrorCode::invalid_input, "substitution produces more than " + std::to_string(max_bytes_) +
                                                " bytes (maxOutputSize)");
    out += text;
    return {};
  }

  // Go's strings.Replace(s, old, replacement, n) with n = 1 or all, into `out`.
  Result<void> replace(const std::string& s, const std::string& old, const std::string& replacement, bool all,
                       std::string& out) {
    std::size_t pos = 0;
    for (bool first = true; all || first; first = false) {
      std::size_t at = s.find(old, pos);
      if (old.empty()) at = pos <= s.size() ? pos : std::string::npos;  // before every character, and at the end
      if (at == std::string::npos) break;
      if (auto done = append(out, std::string_view(s).substr(pos, at - pos)); !done.ok()) return done;
      if (auto done = append(out, replacement); !done.ok()) return done;
      if (old.empty()) {
        if (at == s.size()) return {};
        const std::size_t width = decode(s, at).second;
        if (auto done = append(out, std::string_view(s).substr(at, width)); !done.ok()) return done;
        pos = at + width;
      } else {
        pos = at + old.size();
      }
    }
    return append(out, std::string_view(s).substr(std::min(pos, s.size())));
  }

  Result<void> apply(const std::string& name, const std::string& s, const std::vector<std::string>& args, std::string& out) {
    const auto arg = [&](std::size_t i) { return i < args.size() ? args[i] : std::string(); };
    if (name == ",") return append(out, ascii_cased(s, false, true));
    if (name == ",,") return append(out, ascii_cased(s, false, false));
    if (name == "^") return append(out, ascii_cased(s, true, true));
    if (name == "^^") return append(out, ascii_cased(s, true, false));
    if (name == "#" && args.empty()) return append(out, std::to_string(s.size()));
    if (name == "#") return append(out, trim_shortest(s, arg(0)));
    if (name == "##") return append(out, trim_longest(s, arg(0)));
    if (name == "%") return append(out, reverse_runes(trim_shortest(reverse_runes(s), reverse_runes(arg(0)))));
    if (name == "%%") return append(out, reverse_runes(trim_longest(reverse_runes(s), reverse_runes(arg(0)))));
    if (name == ":") return substring(s, args, out);
    if (name == "/#") {
      if (args.size() != 2 || s.rfind(args[0], 0) != 0) return append(out, s);
      return replace(s, args[0], args[1], false, out);
    }
    if (name == "/%") {
      const bool suffix = args.size() == 2 && s.size() >= args[0].size() && s.compare(s.size() - args[0].size(), args[0].size(), args[0]) == 0;
      if (!suffix) return append(out, s);
      if (auto done = append(out, std::string_view(s).substr(0, s.size() - args[0].size())); !done.ok()) return done;
      return append(out, args[1]);
    }
    if (name == "/" || name == "//") {
      if (args.empty()) return append(out, s);
      return replace(s, args[0], arg(1), name == "//", out);
    }
    // Every default operator (and any other) is toDefault in the original:
    // the value, or the arguments joined when the value is empty.
    if (s.empty())
      for (const auto& a : args)
        if (auto done = append(out, a); !done.ok()) return done;
    return append(out, s);
  }

  Result<void> substring(const std::string& s, const std::vector<std::string>& args, std::string& out) {
    const auto length_of = static_cast<std::int64_t>(s.size());
    auto offset = go_atoi(args.empty() ? std::string() : args[0]);
    if (!offset) return append(out, s);
    std::int64_t pos = *offset < 0 ? std::max<std::int64_t>(0, length_of + *offset) : *offset;
    const auto rest = [&]() -> std::string_view { return pos < length_of ? std::string_view(s).substr(pos) : std::string_view(); };
    if (args.size() == 1) return append(out, rest());
    auto length = go_atoi(args[1]);
    if (!length) return append(out, s);
    if (*length > length_of || pos + *length >= length_of) return append(out, rest());
    if (*length < 0) return fail(ErrorCode::invalid_input, kBadSubstitution);  // the original panics here
    return append(out, std::string_view(s).substr(pos, *length));
  }

  const VariableLookup& lookup_;
  bool strict_;
  std::size_t max_bytes_;
  std::size_t produced_ = 0;
};

}  // namespace

Result<std::string> expand_variables(std::string_view text, const VariableLookup& lookup, bool strict, std::size_t max_bytes) {
  auto nodes = Parser(text).parse();
  if (!nodes.ok()) return nodes.error();
  Evaluator evaluator(lookup, strict, max_bytes);
  std::string out;
  for (const auto& node : *nodes)
    if (auto done = evaluator.eval(node, out); !done.ok()) return done.error();
  return out;
}

}  // namespace driftless::renderers
