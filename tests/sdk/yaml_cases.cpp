#include "yaml_cases.hpp"

#include <cstdint>
#include <string_view>

namespace driftless::test {
namespace {

// A small object around `body` (more members at the top level).
std::string object(const std::string& body, const std::string& name = "c") {
  return "apiVersion: v1\nkind: Thing\nmetadata:\n  name: " + name + "\n" + body;
}

// Plain texts where readers disagree most: numbers at the int32, float64
// mantissa, int64 and uint64 boundaries in every base, floats at the edges of
// their range and notation, YAML 1.1 words, timestamps, YAML indicators.
const std::vector<std::string>& scalar_texts() {
  static const std::vector<std::string> texts = {
      "0", "-0", "+0", "00", "07", "08", "0o17", "0x1F", "0X1f", "0b101", "-0b101", "+0x10", "-0x10", "1_000", "1__0",
      "_1", "1_", "0x_1F", "2147483647", "2147483648", "-2147483649", "9007199254740993", "9223372036854775807",
      "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "12345678901234567890",
      "18446744073709551615", "18446744073709551616", "-18446744073709551615", "0x7fffffffffffffff",
      "0x8000000000000000", "0xffffffffffffffff", "0x10000000000000000", "0777777777777777777777",
      "01777777777777777777777", "0b1111111111111111111111111111111111111111111111111111111111111111", "1.0", "-1.5",
      ".5", "5.", "1e3", "1E3", "1e+3", "1.5e-7", "1e-6", "1e20", "1e21", "-1e21", "123456789012345678901234567890",
      "1e400", "-1e400", "4.9e-324", "1e-400", "0.1", "3.14159265358979323846", "6.02e23", "1_000.5", "0.000001234",
      "2e-7", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "NaN", "inf", "0x1p3", "1.2.3", "+", "-", ".", "true", "True",
      "TRUE", "tRue", "yes", "Yes", "y", "Y", "n", "no", "on", "On", "off", "OFF", "false", "null", "Null", "NULL", "~",
      "nULL", "", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "2001-12-14T21:59:43Z",
      "2002-1-1", "1:20", "190:20:30", "hello", "<<", "=", "hello world", "image:tag", "http://x/y", "a #b", "#c",
      "@x", "a: b", "'q'", "-x", "? x", "[1]", "{a: 1}", "*x", "&x y", "!x", "%x", "|", ">"};
  return texts;
}

// `shape` with every {NAME} replaced by its text.
std::string filled(std::string shape, const std::vector<std::pair<std::string, std::string>>& texts) {
  for (const auto& [marker, text] : texts)
    for (auto at = shape.find(marker); at != std::string::npos; at = shape.find(marker, at + text.size()))
      shape.replace(at, marker.size(), text);
  return shape;
}

std::string single_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string double_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// `text` in each YAML style, as the value of key "v" at the top level.
std::vector<std::pair<std::string, std::string>> styled(const std::string& text) {
  return {{"plain", text},
          {"single", single_quoted(text)},
          {"double", double_quoted(text)},
          {"literal", "|\n  " + text},
          {"folded", ">-\n  " + text}};
}

void scalars(std::vector<YamlCase>& out) {
  static const char* const tags[] = {"!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary",
                                     "!", "!custom", "!!merge", "!<tag:yaml.org,2002:int>", "!!seq"};
  for (const auto& text : scalar_texts()) {
    for (const auto& [style, scalar] : styled(text))
      out.push_back({"scalar " + style + " `" + text + "`", object("v: " + scalar + "\n")});
    for (const char* tag : tags) {
      out.push_back({"scalar " + std::string(tag) + " plain `" + text + "`", object("v: " + std::string(tag) + " " + text + "\n")});
      out.push_back({"scalar " + std::string(tag) + " double `" + text + "`",
                     object("v: " + std::string(tag) + " " + double_quoted(text) + "\n")});
    }
    out.push_back({"key plain `" + text + "`", object("m:\n  " + text + ": v\n")});
    out.push_back({"key double `" + text + "`", object("m:\n  " + double_quoted(text) + ": v\n")});
  }
}

std::string utf8(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xc0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xe0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    s += static_cast<char>(0xf0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return s;
}

std::string hex(std::uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) s += kHex[(value >> shift) & 0xf];
  return s;
}

// Code points where YAML and JSON differ (line breaks beyond \n, spaces,
// the BOM, controls, non-characters, beyond the BMP), raw and escaped, in
// every position and style.
void unicode(std::vector<YamlCase>& out) {
  static const std::uint32_t code_points[] = {0x0085, 0x00a0, 0x2028, 0x2029, 0xfeff, 0xfffd, 0xe000, 0x1f600, 0x00e9,
                                              0x0301, 0x200b, 0x3000, 0x0080, 0x009f, 0xfffe, 0x0007, 0x007f, 0x0009,
                                              0x001b, 0x1680, 0x10ffff};
  for (std::uint32_t cp : code_points) {
    const std::string c = utf8(cp), name = "U+" + hex(cp, 4);
    const std::string escaped = cp > 0xffff ? "\\U" + hex(cp, 8) : "\\u" + hex(cp, 4);
    for (const std::string& text : {"a" + c + "b", c, c + "a", "a" + c})
      for (const auto& [style, scalar] : styled(text))
        out.push_back({name + " raw " + style + " `" + text + "`", object("v: " + scalar + "\n")});
    out.push_back({name + " escaped", object("v: \"a" + escaped + "b\"\n")});
    out.push_back({name + " escaped alone", object("v: \"" + escaped + "\"\n")});
    out.push_back({name + " in a key", object("m:\n  \"k" + escaped + "\": v\n")});
    out.push_back({name + " raw in a plain key", object("m:\n  k" + c + ": v\n")});
    out.push_back({name + " starts a line", object("v: x\n" + c + "w: y\n")});
  }
  for (const char* escape : {"\\x41", "\\N", "\\_", "\\L", "\\P", "\\e", "\\0", "\\a", "\\v", "\\/", "\\ ", "\\\t",
                             "\\ud83d\\ude00", "\\ud83d", "\\U0001F600", "\\u00e9", "\\xff", "\\q"})
    out.push_back({std::string("escape ") + escape, object("v: \"a" + std::string(escape) + "b\"\n")});
  out.push_back({"escaped slash after an escaped backslash", object("v: \"a\\\\/b\"\n")});
  out.push_back({"escaped slash on a later line", object("v: \"a\n  b\\/c\"\n")});
  out.push_back({"slash in single quotes", object("v: 'a\\/b'\n")});
  out.push_back({"invalid UTF-8", object("v: a\xff" "b\n")});
  out.push_back({"overlong UTF-8", object("v: \"a\xc0\xaf" "b\"\n")});
}

// Anchors, aliases and merge keys: the combinations go-yaml v2 resolves in
// its own order.
void anchors(std::vector<YamlCase>& out) {
  static const char* const bodies[] = {
      "a: &x 1\nb: *x\n",
      "a: &x [1, 2]\nb: *x\n",
      "a: &x {p: 1}\nb: *x\n",
      "a: &x\nb: *x\n",
      "a: &x yes\nb: [*x, *x]\n",
      "base: &b {x: 1, z: 2}\nuse:\n  <<: *b\n  z: 3\n",
      "base: &b {x: 1, z: 2}\nuse:\n  z: 3\n  <<: *b\n",
      "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n",
      "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*b, *a]\n  y: 3\n",
      "c:\n  <<: {x: 1}\n  <<: {x: 2, y: 2}\n",
      "c:\n  <<: 1\n",
      "c:\n  <<: [{x: 1}, 2]\n",
      "c:\n  <<: [[{x: 1}]]\n",
      "c:\n  <<: ~\n",
      "c:\n  !!merge <<: {x: 1}\n",
      "c:\n  \"<<\": {x: 1}\n",
      "c:\n  '<<': {x: 1}\n",
      "c:\n  !!str <<: {x: 1}\n",
      "k: &k key\nm: {*k : v}\n",
      "k: &k 12\nm: {*k : v}\n",
      "k: &k ~\nm: {*k : v}\n",
      "k: &k [1]\nm: {*k : v}\n",
      "a: &x 1\nb: &x 2\nc: *x\n",
      "a: *nope\n",
      "&k key: 1\nother: *k\n",
      "a: &a {x: &inner 1}\nb: *inner\nc:\n  <<: *a\n  y: *inner\n",
      "list:\n- &i {name: a}\n- <<: *i\n  extra: 1\n",
      "a: &a {x: 1, x: 2}\nb: *a\n",
      "c:\n  x: 1\n  x: 2\n",
      "c:\n  <<: {x: 1}\n  x: 2\n  x: 3\n",
      "a: &a !!str 1\nb: *a\nm: {*a : v}\n",
      "a: &a 1.5\nm: {*a : v}\n",
      "a: &a 12345678901234567890\nm: {*a : v}\n",
  };
  int i = 0;
  for (const char* body : bodies) out.push_back({"anchors " + std::to_string(i++) + ": " + body, object(body)});
}

// Streams of several documents: every separator, end marker, line ending,
// BOM position and directive.
void documents(std::vector<YamlCase>& out) {
  const std::string first = object("x: 1\n", "one"), second = object("x: 2\n", "two");
  static const char* const separators[] = {"---\n", "--- # c\n", "---   \n", "---\t\n", "--- \xc2\xa0\n", "----\n",
                                           "--- x\n", "---x\n", "--- |\n", " ---\n", "---#c\n"};
  static const char* const boms[] = {"none", "first", "second"};
  const std::string bom = "\xef\xbb\xbf";
  for (const char* separator : separators)
    for (bool crlf : {false, true})
      for (const char* where : boms) {
        std::string text = (std::string_view(where) == "first" ? bom : "") + first + separator +
                           (std::string_view(where) == "second" ? bom : "") + second;
        if (crlf) {
          std::string converted;
          for (char c : text) converted += c == '\n' ? std::string("\r\n") : std::string(1, c);
          text = converted;
        }
        out.push_back({"documents separator `" + std::string(separator) + "` crlf " + std::to_string(crlf) + " bom " + where,
                       text});
      }
  static const char* const shapes[] = {
      "---\n{first}",
      "---\n---\n{first}---\n\n---\n# only a comment\n---\n{second}",
      "{first}...\n{second}",
      "{first}...\n---\n{second}",
      "{first}... # end\ngarbage: [\n---\n{second}",
      "{first}\r---\r{second}",
      "%YAML 1.1\n---\n{first}",
      "%YAML 1.2\n---\n{first}",
      "%TAG ! tag:example.com,2000:\n---\n{first}",
      "%FOO bar\n---\n{first}",
      "{first}---\n%YAML 1.1\n---\n{second}",
      "{first}\xef\xbb\xbf---\n{second}",
      "{first}---\n  \xef\xbb\xbfx: 3\n",
      "{first}x2: \xef\xbb\xbfy\n",
      "\xef\xbb\xbf\xef\xbb\xbf{first}",
      "# comment\n---\n{first}",
      "{first}--- # c\n...\n",
      "{first}---\n",
      "{first}---\nhello\n",
      "{first}---\n- a\n",
      "{first}---\nx: 1\n",
      "{first}---\nkind: Thing\n",
      "{first}---\napiVersion: v1\n",
      "\t{first}",
      "",
      "\n\n",
      "# nothing\n",
  };
  int i = 0;
  for (const char* shape : shapes)
    out.push_back({"documents shape " + std::to_string(i++), filled(shape, {{"{first}", first}, {"{second}", second}})});
}

// Lists as kubectl flattens them: item kinds filled in, lists in lists.
void lists(std::vector<YamlCase>& out) {
  static const char* const items[] = {
      "- {apiVersion: v1, kind: A, metadata: {name: a}}\n- {apiVersion: v1, kind: B, metadata: {name: b}}\n",
      "- {metadata: {name: a}}\n",
      "- {kind: \"\", metadata: {name: a}}\n",
      "- {kind: 5, metadata: {name: a}}\n",
      "- {apiVersion: v2, metadata: {name: a}}\n",
      "- {kind: B, metadata: {name: a}}\n",
      "- null\n",
      "- hello\n",
      "- [1]\n",
      "- {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: B, metadata: {name: b}}]}\n",
      "- {apiVersion: v1, kind: A, metadata: {name: a}, items: []}\n",
      "- {apiVersion: v1, kind: A, metadata: {name: a}, items: null}\n",
      "- {apiVersion: v1, kind: A, metadata: {name: a}, items: x}\n",
      "- {apiVersion: v1, kind: A, metadata: {name: a}, items: {k: v}}\n",
  };
  static const char* const heads[] = {"apiVersion: v1\nkind: List\n", "apiVersion: v1\nkind: ConfigMapList\n",
                                      "apiVersion: apps/v1\nkind: Lis\n", "kind: List\n", "apiVersion: v1\n",
                                      "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"7\"}\n"};
  int i = 0;
  for (const char* head : heads) {
    for (const char* list : items) out.push_back({"list " + std::to_string(i++), std::string(head) + "items:\n" + list});
    for (const char* tail : {"items: []\n", "items: null\n", "items: 3\n", "items: {}\n", "items: [\n"})
      out.push_back({"list " + std::to_string(i++), std::string(head) + tail});
  }
}

// JSON streams, which kubectl reads with a JSON decoder first.
void json(std::vector<YamlCase>& out) {
  const std::string a = R"({"apiVersion":"v1","kind":"A","metadata":{"name":"a"}})";
  const std::string b = R"({"apiVersion":"v1","kind":"B","metadata":{"name":"b"},"n":1.0,"big":12345678901234567890})";
  static const char* const shapes[] = {
      "{a}", "{a}\n{b}", "{a}{b}", "  \n{a}\n", "{a}\n---\n{b}", "{a}\n---\nkind: C\napiVersion: v1\n",
      "{a}\n{b}\n---\n{a}", "[{a}]", "{a}\nkind: C\n",
      R"({"apiVersion":"v1","kind":"A","metadata":{"name":"a"},"u":"http:\/\/x\/y"})",
      R"({"apiVersion":"v1","kind":"A","metadata":{"name":"a"},"e":"\ud83d\ude00"})",
      R"({"apiVersion":"v1","kind":"A","metadata":{"name":"a"},"d":1,"d":2})",
      R"({"apiVersion":"v1","kind":"A","metadata":{"name":"a"},"f":1e400})",
      R"({"apiVersion":"v1","kind":"A","metadata":{"name":"a"},"t":"a	b"})",
      R"({"apiVersion": "v1", "kind": "A", "metadata": {"name": "a"}, "yes": no})",
  };
  int i = 0;
  for (const char* shape : shapes) out.push_back({"json " + std::to_string(i++), filled(shape, {{"{a}", a}, {"{b}", b}})});
}

}  // namespace

std::vector<YamlCase> generated_yaml_cases() {
  std::vector<YamlCase> out;
  scalars(out);
  unicode(out);
  anchors(out);
  documents(out);
  lists(out);
  json(out);
  return out;
}

}  // namespace driftless::test
