// The expression language of Flux's postBuild substitution. The expected
// results are Flux's own: the tables of fluxcd/pkg envsubst/eval_test.go
// (TestExpand, TestExpandStrict) and the grammar of envsubst/parse/parse_test.go,
// plus the errors its parser gives for forms it does not take.
#include "envsubst.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace driftless;
using namespace driftless::renderers;

namespace {

struct Case {
  std::map<std::string, std::string> variables;
  std::string input;
  std::string output;
};

Result<std::string> expand(const Case& c, bool strict, std::size_t max_bytes = 1 << 20) {
  return expand_variables(
      c.input,
      [&](const std::string& name) -> std::optional<std::string> {
        auto found = c.variables.find(name);
        return found == c.variables.end() ? std::nullopt : std::optional<std::string>(found->second);
      },
      strict, max_bytes);
}

}  // namespace

// fluxcd/pkg envsubst/eval_test.go TestExpand, case for case.
TEST(Envsubst, ExpandsAsFluxsOwnTable) {
  const std::vector<Case> cases = {
      {{}, "abcdEFGH28ij", "abcdEFGH28ij"},
      {{{"var01", "abcdEFGH28ij"}}, "${#var01}", "12"},
      {{{"var01", "abcdEFGH28ij"}}, "${var01^}", "AbcdEFGH28ij"},
      {{{"var01", "abcdEFGH28ij"}}, "${var01^^}", "ABCDEFGH28IJ"},
      {{{"var01", "ABCDEFGH28IJ"}}, "${var01,}", "aBCDEFGH28IJ"},
      {{{"var01", "ABCDEFGH28IJ"}}, "${var01,,}", "abcdefgh28ij"},
      {{{"path_name", "/home/bozo/ideas/thoughts.for.today"}}, "${path_name:11}", "ideas/thoughts.for.today"},
      {{{"path_name", "/home/bozo/ideas/thoughts.for.today"}}, "${path_name:11:5}", "ideas"},
      {{{"var", "abc"}}, "${var=xyz}", "abc"},
      {{}, "${var=xyz}", "xyz"},
      {{{"default_var", "foo"}}, "something ${var=${default_var}}", "something foo"},
      {{{"default_var", "foo1"}}, "foo: ${var=${default_var}-suffix}", "foo: foo1-suffix"},
      {{{"default_var", "foo1"}}, "foo: ${var=prefix${default_var}-suffix}", "foo: prefixfoo1-suffix"},
      {{}, "${var:=xyz}", "xyz"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/%abc/XYZ}", "abcABC123ABCXYZ"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/#abc/XYZ}", "XYZABC123ABCabc"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ//abc/xyz}", "xyzABC123ABCxyz"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/abc/xyz}", "xyzABC123ABCabc"},
      {{{"filename", "bash.string.txt"}}, "${filename#*.}", "string.txt"},
      {{{"filename", "path/to/file"}}, "${filename#*/}", "to/file"},
      {{{"filename", "/path/to/file"}}, "${filename#*/}", "path/to/file"},
      {{{"filename", "bash.string.txt"}}, "${filename##*.}", "txt"},
      {{{"filename", "path/to/file"}}, "${filename##*/}", "file"},
      {{{"filename", "/path/to/file"}}, "${filename##*/}", "file"},
      {{{"filename", "bash.string.txt"}}, "${filename%.*}", "bash.string"},
      {{{"filename", "bash.string.txt"}}, "${filename%%.*}", "bash"},
      {{{"var01", "abcdEFGH28ij"}}, "${var=${var01^^}}", "ABCDEFGH28IJ"},
      {{{"var01", "abcdEFGH28ij"}}, "$${var01}", "${var01}"},
      {{{"var01", "abcdEFGH28ij"}}, "some text ${var01}$${var$${var01}$var01${var01}",
       "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"},
      {{{"default_var", "foo"}}, "something $${var=${default_var}}", "something ${var=foo}"},
      {{{"stringZ", "foo/bar"}}, "${stringZ/\\//-}", "foo-bar"},
      {{{"stringZ", "foo/bar/baz"}}, "${stringZ//\\//-}", "foo-bar-baz"},
      {{{"default_var", "foo"}}, "\\\\something ${var=${default_var}}", "\\\\something foo"},
      {{{"stringZ", "foo.bar"}}, "${stringZ/./}", "foobar"},
  };
  for (const auto& c : cases) {
    auto out = expand(c, false);
    ASSERT_TRUE(out.ok()) << c.input << ": " << out.error().message;
    EXPECT_EQ(*out, c.output) << c.input;
  }
}

// The default operators all give the value, or the default when the value is
// empty (envsubst/template.go lookupFunc maps every one of them to toDefault).
TEST(Envsubst, EveryDefaultOperatorGivesTheDefaultForAnEmptyValue) {
  for (const char* op : {":=", ":-", ":?", ":+", "="}) {
    const std::string input = std::string("${v") + op + "fallback}";
    EXPECT_EQ(*expand({{}, input, ""}, false), "fallback") << input;
    EXPECT_EQ(*expand({{{"v", "set"}}, input, ""}, false), "set") << input;
  }
}

// fluxcd/pkg envsubst/eval_test.go TestExpandStrict: a missing variable is an
// error unless a default operator handles it.
TEST(Envsubst, StrictRefusesAnUnsetVariableWithoutADefault) {
  for (const char* input : {"${missing}", "${#missing}", "${missing^}", "${missing^^}", "${missing,}", "${missing,,}",
                            "${missing:0}", "${missing:0:10}", "${missing/pattern/replacement}",
                            "${missing//pattern/replacement}", "${missing/#pattern/replacement}",
                            "${missing/%pattern/replacement}", "${missing#pattern}", "${missing##pattern}",
                            "${missing%pattern}", "${missing%%pattern}"}) {
    auto out = expand({{}, input, ""}, true);
    ASSERT_FALSE(out.ok()) << input;
    EXPECT_EQ(out.error().message, "variable not set (strict mode): \"missing\"") << input;
  }
  EXPECT_EQ(*expand({{{"foo", ""}}, "${foo}", ""}, true), "");
  EXPECT_EQ(*expand({{{"foo", "bar"}}, "${missing:=default}", ""}, true), "default");
  EXPECT_EQ(*expand({{}, "${missing:-fallback}", ""}, true), "fallback");
  EXPECT_EQ(*expand({{}, "${missing=assigned}", ""}, true), "assigned");
  EXPECT_EQ(*expand({{}, "${missing}", ""}, false), "");  // without strict: empty
}

// Forms bash takes but Flux's parser refuses, with its words; a bare $name
// is text (envsubst/parse/parse_test.go "$$string", "http://github.com").
TEST(Envsubst, MalformedExpressionsAreErrorsWithFluxsWording) {
  const std::map<std::string, std::string> refused = {
      {"${var-default}", "missing closing brace"},  // only ':-' in Flux
      {"${var+x}", "missing closing brace"},
      {"${}", "unable to parse variable name"},
      {"${ var}", "unable to parse variable name"},
      {"${var", "missing closing brace"},
      {"${var:=abc", "unable to parse substitution within function"},
      {"${var:}", "unable to parse substitution within function"},
      {"${#}", "bad substitution"},
      {"${var:\u00e9}", "bad substitution"},  // steps back by the width of the wrong character
  };
  for (const auto& [input, message] : refused) {
    auto out = expand({{}, input, ""}, false);
    ASSERT_FALSE(out.ok()) << input;
    EXPECT_EQ(out.error().message, message) << input;
  }
  EXPECT_EQ(*expand({{{"string", "x"}}, "$string and $$string http://github.com }text", ""}, false),
            "$string and $string http://github.com }text");
  EXPECT_EQ(*expand({{}, "\\\\.\\pipe\\pipename", ""}, false), "\\\\.\\pipe\\pipename");
}

// Quirks of Go's strings.Replace kept: an empty pattern matches before every
// character (results taken from fluxcd/pkg/envsubst v1.4.0).
TEST(Envsubst, AnEmptyPatternReplacesAsGoDoes) {
  EXPECT_EQ(*expand({{{"a", "aaa"}, {"v", ""}}, "${a/${v}/-}", ""}, false), "-aaa");
  EXPECT_EQ(*expand({{{"a", "aaa"}, {"v", ""}}, "${a//${v}/-}", ""}, false), "-a-a-a-");
}

TEST(Envsubst, OutputIsBounded) {
  const std::string big(1000, 'x');
  std::string input;
  for (int i = 0; i < 100; ++i) input += "${big}";
  auto out = expand({{{"big", big}}, input, ""}, false, 50000);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("more than 50000 bytes"), std::string::npos) << out.error().message;
  // a replacement multiplies text: bounded the same way
  auto multiplied = expand({{{"a", std::string(1000, 'a')}, {"big", big}}, "${a//a/${big}}", ""}, false, 50000);
  EXPECT_FALSE(multiplied.ok());
}
