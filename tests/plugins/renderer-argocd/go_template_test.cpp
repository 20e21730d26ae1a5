// Differential: driftless's Go template actions (plugins/lib/render-stages/
// go_template) against Go's text/template with sprig, as Argo CD's
// ApplicationSet controller runs them (tests/env/go/gotemplate). Every action
// driftless evaluates must give Go's text; every action it refuses must be
// one it does not support, or one Go refuses too.
#include <gtest/gtest.h>

#include <sstream>

#include "go_template.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;

namespace {

// The parameters of a git directory generator and a list element, as Argo CD makes them.
const char* kParameters = R"({
  "path": {"path": "apps/team-a/Web_Frontend", "basename": "Web_Frontend", "basenameNormalized": "web-frontend",
           "segments": ["apps", "team-a", "Web_Frontend"]},
  "name": "in-cluster", "server": "https://kubernetes.default.svc", "empty": "", "replicas": 3,
  "metadata": {"labels": {"env": "prod", "enable_ingress-nginx": "true"}},
  "values": {"domain": "example.com", "tier": ""}
})";

struct Answer {
  bool ok = false;
  std::string text;
};

// Go's answers to `actions`, in one run of the tool.
std::vector<Answer> go_answers(const std::vector<std::string>& actions) {
  const std::string tool = test_env()["GOTEMPLATE"];
  if (tool.empty()) {
    ADD_FAILURE() << "GOTEMPLATE missing from the tests/env env file (tests/env/build-tools gotemplate)";
    return {};
  }
  TempDir dir;
  std::string input = std::to_string(std::string(kParameters).size()) + "\n" + kParameters;
  for (const auto& action : actions) input += std::to_string(action.size()) + "\n" + action;
  write_file(dir / "cases", input);
  const CommandResult result = run({tool, (dir / "cases").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<Answer> answers;
  std::size_t at = 0;
  while (at < result.out.size()) {
    const auto eol = result.out.find('\n', at);
    const std::string line = result.out.substr(at, eol - at);
    at = eol + 1;
    if (line == "error") {
      answers.push_back({});
      continue;
    }
    const std::size_t length = std::stoul(line.substr(3));
    answers.push_back({true, result.out.substr(at, length)});
    at += length;
  }
  return answers;
}

TEST(GoTemplate, ActionsGiveWhatArgoCdsTemplateEngineGives) {
  const std::vector<std::string> actions{
      ".path.basename",
      " .path.path ",
      ".name",
      ".replicas",
      "index .path.segments 0",
      "index .path.segments 2",
      "index .metadata.labels \"enable_ingress-nginx\"",
      "index .path.segments 5",
      ".path.basename | lower",
      ".path.basename | upper",
      ".path.basename | lower | replace \"_\" \"-\"",
      "replace \"-\" \"_\" .name",
      ".path.basename | trunc 3",
      ".path.basename | trunc -4",
      "trunc 50 .name",
      "trimPrefix \"team-\" \"team-a\"",
      "index .path.segments 1 | trimPrefix \"team-\"",
      ".server | trimSuffix \".svc\"",
      ".values.tier | default \"frontend\"",
      ".values.domain | default \"frontend\"",
      ".empty | default .name",
      "default \"x\" .replicas",
      ".path.basename | normalize",
      "normalize \"--My_App..\"",
      "\"a literal\"",
      "`raw \\n text`",
      "\"escaped \\\"quote\\\" \\n\"",
      "trim \"  spaced  \"",
      ".missing",
      ".path.missing",
      ".name | nosuchfunction",
      "index .path.segments -1",
      ".name | trunc",
      "lower .name .server",
  };
  const auto go = go_answers(actions);
  ASSERT_EQ(go.size(), actions.size());
  auto parameters = parse_json(kParameters);
  ASSERT_TRUE(parameters.ok());
  int agreed = 0;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    auto ours = renderers::evaluate_action(actions[i], *parameters);
    if (!go[i].ok) {
      EXPECT_FALSE(ours.ok()) << "{{" << actions[i] << "}}: Go refuses it, driftless gives '"
                              << (ours.ok() ? renderers::text_of(*ours) : "") << "'";
      continue;
    }
    ASSERT_TRUE(ours.ok()) << "{{" << actions[i] << "}}: Go gives '" << go[i].text << "', driftless refuses: "
                           << ours.error().message;
    EXPECT_EQ(renderers::text_of(*ours), go[i].text) << "{{" << actions[i] << "}}";
    ++agreed;
  }
  EXPECT_GE(agreed, 25) << "most cases are answers, not refusals";
}

}  // namespace
