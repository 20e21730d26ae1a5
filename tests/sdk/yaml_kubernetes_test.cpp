// INTEGRATION: driftless reads YAML as Kubernetes does, and writes YAML that
// Kubernetes reads back to the same objects. Every generated case
// (yaml_cases.cpp) goes through parse_manifests and through kubectl's own
// reading code (tests/env/go/kubeyaml: cli-runtime, apimachinery,
// sigs.k8s.io/yaml); both must give the same objects, compared as canonical
// JSON (keys sorted, strings and numbers written as Go writes them), or both
// must refuse the file. Then the objects driftless read are written with
// to_yaml and read by Kubernetes again: they must come back unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "driftless/toolkit/manifests.hpp"
#include "support.hpp"
#include "yaml_cases.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

// A string as Go's encoding/json writes it (HTML characters not escaped).
void go_string(std::string& out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else if (c == 0xe2 && i + 2 < s.size() && s[i + 1] == '\x80' && (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
          out += s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// `v` as Go's encoding/json writes a map[string]interface{}: keys sorted by
// their bytes; numbers as driftless writes them (that is under test too).
void canonical(std::string& out, const Value& v) {
  switch (v.type()) {
    case ValueType::string: go_string(out, v.as_string()); return;
    case ValueType::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.as_array()) {
        if (!first) out += ',';
        first = false;
        canonical(out, item);
      }
      out += ']';
      return;
    }
    case ValueType::object: {
      std::vector<const Member*> members;
      for (const auto& member : v.as_object()) members.push_back(&member);
      std::sort(members.begin(), members.end(), [](const Member* a, const Member* b) { return a->first < b->first; });
      out += '{';
      for (const Member* member : members) {
        if (member != members.front()) out += ',';
        go_string(out, member->first);
        out += ':';
        canonical(out, member->second);
      }
      out += '}';
      return;
    }
    default: out += to_json(v);
  }
}

std::string canonical(const Value& v) {
  std::string out;
  canonical(out, v);
  return out;
}

// What one reader made of one file: canonical objects, or an error.
struct Reading {
  bool refused = false;
  std::string error;
  std::vector<std::string> objects;
};

std::string describe(const Reading& r) {
  if (r.refused) return "refused: " + r.error;
  std::string out;
  for (const auto& o : r.objects) out += "\n    " + o;
  return std::to_string(r.objects.size()) + " object(s)" + out;
}

Reading ours(const std::string& text) {
  RenderResult result = parse_manifests(text, "case.yaml");
  Reading r;
  for (const auto& d : result.diagnostics)
    if (d.severity == Severity::error) {
      r.refused = true;
      r.error += format(d) + "; ";
    }
  if (!r.refused)
    for (const auto& object : result.objects) r.objects.push_back(canonical(object.body));
  return r;
}

// Runs every text through kubeyaml in one process.
std::vector<Reading> kubernetes(const std::vector<std::string>& texts) {
  const std::string tool = test_env()["KUBEYAML"];
  if (tool.empty()) {
    ADD_FAILURE() << "KUBEYAML missing from the tests/env env file (tests/env/build-tools kubeyaml)";
    return {};
  }
  TempDir dir;
  std::string input;
  for (const auto& text : texts) input += std::to_string(text.size()) + "\n" + text;
  write_file(dir / "cases", input);
  const CommandResult result = run({tool, (dir / "cases").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<Reading> readings;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    Reading r;
    if (line.rfind("error ", 0) == 0) {
      r.refused = true;
      r.error = line.substr(6);
    } else {
      const int count = std::stoi(line.substr(std::string("objects ").size()));
      for (int i = 0; i < count && std::getline(lines, line); ++i) r.objects.push_back(line);
    }
    readings.push_back(std::move(r));
  }
  EXPECT_EQ(readings.size(), texts.size()) << "kubeyaml answered for fewer cases than it was given";
  return readings;
}

bool same(const Reading& a, const Reading& b) { return a.refused == b.refused && a.objects == b.objects; }

// Where driftless knowingly refuses what Kubernetes' reader accepts (never
// the other way round, never different objects).
bool known_refusal(const Reading& mine, const Reading& theirs) {
  if (!mine.refused || theirs.refused) return false;
  const auto any_object = [&](const char* needle) {
    return std::any_of(theirs.objects.begin(), theirs.objects.end(),
                       [&](const std::string& o) { return o.find(needle) != std::string::npos; });
  };
  // kubectl's reader takes an object without apiVersion; applying it fails
  // at the API server. driftless refuses it before anything is applied.
  if (mine.error.find("has no apiVersion or kind") != std::string::npos &&
      std::any_of(theirs.objects.begin(), theirs.objects.end(),
                  [](const std::string& o) { return o.find("\"apiVersion\":") == std::string::npos; }))
    return true;
  // A byte order mark at the start of a line inside a document: go-yaml
  // makes it part of a key, libyaml stops with a syntax error on that line.
  if (mine.error.find("YAML syntax error") != std::string::npos &&
      (any_object("{\"\xef\xbb\xbf") || any_object(",\"\xef\xbb\xbf")))
    return true;
  return false;
}

// Fails with at most a screenful of the differences, and their count.
void expect_same(const std::vector<YamlCase>& cases, const std::vector<Reading>& mine,
                 const std::vector<Reading>& theirs, const char* what) {
  std::size_t differences = 0;
  std::string shown;
  for (std::size_t i = 0; i < cases.size() && i < theirs.size(); ++i) {
    if (same(mine[i], theirs[i]) || known_refusal(mine[i], theirs[i])) continue;
    if (++differences <= 25)
      shown += "\n" + cases[i].name + "\n  driftless:  " + describe(mine[i]) + "\n  kubernetes: " + describe(theirs[i]);
  }
  EXPECT_EQ(differences, 0u) << what << " differ in " << differences << " of " << cases.size() << " cases:" << shown;
}

// The texts of `cases`, and what driftless makes of each.
std::vector<std::string> texts_read_by_us(const std::vector<YamlCase>& cases, std::vector<Reading>& mine) {
  std::vector<std::string> texts;
  for (const auto& c : cases) {
    texts.push_back(c.text);
    mine.push_back(ours(c.text));
  }
  return texts;
}

}  // namespace

TEST(YamlKubernetes, ReadsEveryGeneratedCaseAsKubernetesDoes) {
  const std::vector<YamlCase> cases = generated_yaml_cases();
  ASSERT_GE(cases.size(), 1000u);
  std::vector<Reading> mine;
  const auto texts = texts_read_by_us(cases, mine);
  expect_same(cases, mine, kubernetes(texts), "driftless's and Kubernetes' readings");
}

TEST(YamlKubernetes, WhatDriftlessWritesKubernetesReadsBackUnchanged) {
  std::vector<YamlCase> written;
  std::vector<Reading> expected;
  for (const auto& c : generated_yaml_cases()) {
    RenderResult read = parse_manifests(c.text, "case.yaml");
    // An object with "items" of its own reads back as a list: it cannot be written on its own.
    const auto unwritable = [](const KubeObject& o) { return o.body.find("items") != nullptr; };
    if (read.objects.empty() || std::any_of(read.objects.begin(), read.objects.end(), unwritable) ||
        std::any_of(read.diagnostics.begin(), read.diagnostics.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::error; }))
      continue;
    YamlCase out{c.name, ""};
    Reading objects;
    for (const auto& object : read.objects) {
      out.text += "---\n" + to_yaml(object.body);
      objects.objects.push_back(canonical(object.body));
    }
    written.push_back(std::move(out));
    expected.push_back(std::move(objects));
  }
  ASSERT_GE(written.size(), 500u);
  std::vector<Reading> reread;
  const auto texts = texts_read_by_us(written, reread);
  expect_same(written, expected, kubernetes(texts), "the objects written and what Kubernetes reads back");
  expect_same(written, expected, reread, "the objects written and what driftless reads back");
}
