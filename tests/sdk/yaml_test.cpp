#include <gtest/gtest.h>

#include "driftless/toolkit/manifests.hpp"
#include "driftless/toolkit/yaml.hpp"

using namespace driftless;

namespace {
Value one(const std::string& text) {
  auto r = parse_yaml(text, "t.yaml");
  EXPECT_TRUE(r.diagnostics.empty()) << (r.diagnostics.empty() ? "" : format(r.diagnostics.front()));
  EXPECT_EQ(r.documents.size(), 1u);
  return r.documents.empty() ? Value() : r.documents.front().value;
}
}  // namespace

TEST(Yaml, Yaml11ScalarsResolveAsKubernetesDoes) {
  Value v = one("a: yes\nb: off\nc: 0x1F\nd: 012\ne: 1_000\nf: 1.5\ng: ~\nh: 'yes'\ni: 1e3\nj: hello\nk: \"12\"\n");
  EXPECT_EQ(to_json(v), R"({"a":true,"b":false,"c":31,"d":10,"e":1000,"f":1.5,"g":null,"h":"yes","i":1000,"j":"hello","k":"12"})");
}

TEST(Yaml, MultiDocumentStreamsSkipEmptyDocumentsAndKeepLines) {
  auto r = parse_yaml("a: 1\n---\n---\n# only a comment\n---\nb: 2\n", "f.yaml");
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(r.documents[0].line, 1);
  EXPECT_EQ(r.documents[1].index, 3);
  EXPECT_EQ(r.documents[1].line, 6);
}

TEST(Yaml, AnchorsAndMergeKeys) {
  Value v = one("base: &b {x: 1, z: 2}\nuse:\n  <<: *b\n  z: 3\n");
  EXPECT_EQ(to_json(*v.find("use")), R"({"x":1,"z":3})");
}

TEST(Yaml, NonStringKeysBecomeStrings) {
  EXPECT_EQ(to_json(one("1: a\ntrue: b\n")), R"({"1":"a","true":"b"})");
}

TEST(Yaml, SyntaxErrorNamesFileAndLine) {
  auto r = parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml");
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].file, "bad.yaml");
  EXPECT_GE(r.diagnostics[0].line, 2);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::error);
}

TEST(Yaml, AliasBombIsRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string name(1, c);
    bomb += name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = name;
  }
  auto r = parse_yaml(bomb, "bomb.yaml");
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_NE(r.diagnostics[0].message.find("alias"), std::string::npos) << r.diagnostics[0].message;
}

TEST(Yaml, DeepNestingIsRefused) {
  std::string deep(10000, '[');
  auto r = parse_yaml(deep, "deep.yaml");
  ASSERT_FALSE(r.diagnostics.empty());
}

TEST(Yaml, DuplicateKeysKeepTheLastValueWithAWarning) {
  auto r = parse_yaml("a: 1\na: 2\n", "dup.yaml");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::warning);
  EXPECT_EQ(r.diagnostics[0].line, 2);
  ASSERT_EQ(r.documents.size(), 1u);
  EXPECT_EQ(to_json(r.documents[0].value), R"({"a":2})");
}

TEST(Yaml, EmitterOutputReadsBackToTheSameValue) {
  const char* text = R"(
s: ["yes", "1.0", "", "a: b", "#x", " lead", "multi
line", "null", "-dash", "~"]
n: [1, -2, 2.5, true, null]
o: {nested: {empty: {}, list: []}}
l: [[1, 2], {a: 1, b: [x]}]
)";
  Value v = one(text);
  Value back = one(to_yaml(v));
  EXPECT_EQ(v, back) << to_yaml(v);
}

TEST(Yaml, EveryDocumentMayStartWithAByteOrderMark) {
  auto r = parse_yaml("\xef\xbb\xbf" "a: 1\n---\n\xef\xbb\xbf" "b: 2\n", "bom.yaml");
  EXPECT_TRUE(r.diagnostics.empty()) << (r.diagnostics.empty() ? "" : format(r.diagnostics.front()));
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(to_json(r.documents[1].value), R"({"b":2})");
  EXPECT_EQ(r.documents[1].line, 3);
}

TEST(Yaml, DirectivesAreRefusedAsKubectlRefusesThem) {
  // kubectl cuts the stream at "---" lines, so a directive stands alone in its chunk.
  auto r = parse_yaml("%YAML 1.1\n---\na: 1\n", "directive.yaml");
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].severity, Severity::error);
  EXPECT_NE(r.diagnostics[0].message.find("document start"), std::string::npos) << r.diagnostics[0].message;
  EXPECT_TRUE(r.documents.empty());
}

TEST(Yaml, SlashEscapesAreFoundWhereverTheyAre) {
  auto refused = parse_yaml("a: \"x/y\"\nb: \"u\n  v\\/w\"\n", "slash.yaml");
  ASSERT_FALSE(refused.diagnostics.empty());
  EXPECT_NE(refused.diagnostics[0].message.find("'\\/'"), std::string::npos) << refused.diagnostics[0].message;
  EXPECT_EQ(refused.diagnostics[0].line, 2);
  auto after_unicode = parse_yaml("\xef\xbb\xbf" "é: ü\nb: \"€\\/\"\n", "slash.yaml");  // marks count characters, not bytes
  ASSERT_FALSE(after_unicode.diagnostics.empty());
  EXPECT_EQ(after_unicode.diagnostics[0].line, 2);
  // An escaped backslash before "/", "\/" outside double quotes, and non-ASCII text before it are fine.
  EXPECT_EQ(to_json(one("é: \"é\\\\/x\"\nb: 'a\\/b'\n")), R"({"é":"é\\/x","b":"a\\/b"})");
}

TEST(Yaml, AliasesAreBoundedByTheBytesTheyCopy) {
  std::string text = "big: &big \"" + std::string(1 << 20, 'x') + "\"\ncopies:\n";
  for (int i = 0; i < 70; ++i) text += "- *big\n";  // 70 MiB from a 1 MiB file, with few nodes
  auto r = parse_yaml(text, "aliases.yaml");
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].file, "aliases.yaml");
  EXPECT_EQ(r.diagnostics[0].line, 67);  // the alias that crosses 64 MiB
  EXPECT_NE(r.diagnostics[0].message.find("bytes"), std::string::npos) << r.diagnostics[0].message;
  EXPECT_TRUE(r.documents.empty());
}

TEST(Yaml, TheAliasByteBudgetCoversAllDocumentsOfAFile) {
  std::string text;
  for (int d = 0; d < 3; ++d) text += "---\nbig: &big \"" + std::string(1000, 'x') + "\"\ncopies: [*big, *big, *big, *big]\n";
  YamlLimits limits;
  limits.max_alias_bytes = 10000;
  auto r = parse_yaml(text, "aliases.yaml", limits);
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].line, 9);  // the eleventh copy, in the third document
}

TEST(Yaml, JsonStreamsAreReadValueByValue) {
  auto r = parse_yaml("{\"a\": 1, \"u\": \"http:\\/\\/x\"}\n{\"b\": 1.0}\n", "stream.json");
  EXPECT_TRUE(r.diagnostics.empty()) << (r.diagnostics.empty() ? "" : format(r.diagnostics.front()));
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(to_json(r.documents[0].value), R"({"a":1,"u":"http://x"})");
  EXPECT_EQ(to_json(r.documents[1].value), R"({"b":1})");
  EXPECT_EQ(r.documents[1].line, 2);
  // After one JSON value, YAML may follow; after two, anything else is an error.
  EXPECT_EQ(parse_yaml("{\"a\": 1}\nb: 2\n", "mixed").documents.size(), 2u);
  EXPECT_FALSE(parse_yaml("{\"a\": 1}\n{\"b\": 2}\nc: 3\n", "mixed").diagnostics.empty());
  EXPECT_FALSE(parse_yaml("{\"a\": " + std::string(10000, '[') + std::string(10000, ']') + "}", "deep").diagnostics.empty());
}

TEST(Yaml, LineBreaksAndUnprintablesInStringsSurviveTheWriter) {
  Object o;
  for (const char* s : {"a\xc2\x85" "b", "\xe2\x80\xa8", "x\xe2\x80\xa9", "\xef\xbb\xbf" "y", "del\x7f", "c1\xc2\x9f", "\xc2\x85"})
    o.append_new(std::string("k") + s, Value(s));
  const Value v(std::move(o));
  EXPECT_EQ(one(to_yaml(v)), v) << to_yaml(v);
}

TEST(Manifests, ListsAreFlattenedAsKubectlFlattensThem) {
  auto r = parse_manifests(
      "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {metadata: {name: a}}\n- null\n"
      "- {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Secret, metadata: {name: b}}]}\n",
      "list.yaml");
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(to_json(r.objects[0].body), R"({"metadata":{"name":"a"},"kind":"ConfigMap","apiVersion":"v1"})");
  EXPECT_EQ(to_json(r.objects[1].body), R"({"kind":"ConfigMap","apiVersion":"v1"})");
  ASSERT_EQ(r.diagnostics.size(), 1u);  // kubectl cannot read a list inside a list
  EXPECT_NE(r.diagnostics[0].message.find("list inside a list"), std::string::npos) << r.diagnostics[0].message;
  EXPECT_FALSE(parse_manifests("apiVersion: v1\nitems: []\n", "nokind.yaml").diagnostics.empty());
}

TEST(Yaml, WhatKubectlIgnoresAfterADocumentIsNamedInAWarning) {
  for (const char* text : {"a: 1\n...\nb: 2\n", "a: 1\n...\n]]]\n", "# c\n{a: 1}\nb: 2\n"}) {
    auto r = parse_yaml(text, "rest.yaml");
    ASSERT_EQ(r.documents.size(), 1u) << text;
    ASSERT_EQ(r.diagnostics.size(), 1u) << text;
    EXPECT_EQ(r.diagnostics[0].severity, Severity::warning);
    EXPECT_EQ(r.diagnostics[0].line, 3) << text;
  }
  EXPECT_TRUE(parse_yaml("a: 1\n...\n# only a comment\n", "end.yaml").diagnostics.empty());
}
