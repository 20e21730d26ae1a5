#include <gtest/gtest.h>

#include "driftless/yaml.hpp"

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
