#include "go_template.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <vector>

namespace driftless::renderers {
namespace {

constexpr std::size_t kMaxResult = 1 << 20;  // bytes one function may make (a replace of a long text)

// One operand of a command: a field reference, or a literal.
struct Token {
  enum class Kind { field, string, number, name, pipe } kind;
  std::string text;
  std::int64_t number = 0;
};

Result<std::vector<Token>> tokens_of(std::string_view action) {
  std::vector<Token> out;
  std::size_t i = 0;
  const auto invalid = [&](const std::string& why) { return fail(ErrorCode::invalid_input, why); };
  while (i < action.size()) {
    const char c = action[i];
    if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '|') {
      out.push_back({Token::Kind::pipe, "|"});
      ++i;
    } else if (c == '"' || c == '`') {
      std::string text;
      std::size_t j = i + 1;
      for (; j < action.size() && action[j] != c; ++j) {
        if (c == '"' && action[j] == '\\' && j + 1 < action.size()) {
          const char escaped = action[++j];
          text += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
        } else {
          text += action[j];
        }
      }
      if (j >= action.size()) return invalid("an unterminated string");
      out.push_back({Token::Kind::string, std::move(text)});
      i = j + 1;
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t j = i + 1;
      while (j < action.size() && std::isdigit(static_cast<unsigned char>(action[j]))) ++j;
      const std::string text(action.substr(i, j - i));
      if (text == "-" || text.size() > 18) return invalid("'" + text + "' is not a number driftless reads");
      out.push_back({Token::Kind::number, text, std::stoll(text)});
      i = j;
    } else if (c == '.' || std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i + 1;
      while (j < action.size() && (std::isalnum(static_cast<unsigned char>(action[j])) || action[j] == '_' || action[j] == '.')) ++j;
      out.push_back({c == '.' ? Token::Kind::field : Token::Kind::name, std::string(action.substr(i, j - i))});
      i = j;
    } else {
      return invalid(std::string("'") + c + "' (parentheses, variables and other syntax are not supported)");
    }
  }
  return out;
}

// The field `.a.b` of `data`.
Result<Value> field_of(const std::string& path, const Value& data) {
  const Value* found = &data;
  for (std::size_t start = 1; start <= path.size() && path != ".";) {
    const auto dot = path.find('.', start);
    const std::string key = path.substr(start, dot - start);
    found = found->is_object() ? found->find(key) : nullptr;
    if (!found) return fail(ErrorCode::not_found, "no parameter is named " + path);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *found;
}

// sprig's empty(): what `default` replaces.
bool empty(const Value& value) {
  if (value.is_null()) return true;
  if (value.is_string()) return value.as_string().empty();
  if (value.is_int()) return value.as_int() == 0;
  if (value.is_bool()) return !value.as_bool();
  if (value.is_array()) return value.as_array().empty();
  if (value.is_object()) return value.as_object().empty();
  return false;
}

using Function = std::function<Result<Value>(const std::vector<Value>&)>;

Result<Value> need(const std::string& name, const std::vector<Value>& args, std::size_t count) {
  if (args.size() != count)
    return fail(ErrorCode::invalid_input, name + " takes " + std::to_string(count) + " arguments, not " + std::to_string(args.size()));
  return Value();
}

Result<Value> index_into(const std::vector<Value>& args) {
  if (args.size() < 2) return fail(ErrorCode::invalid_input, "index takes a value and at least one key or position");
  Value at = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (at.is_array() && args[i].is_int()) {
      const auto n = args[i].as_int();
      if (n < 0 || static_cast<std::size_t>(n) >= at.as_array().size())
        return fail(ErrorCode::not_found, "index " + std::to_string(n) + " is out of range (" +
                                              std::to_string(at.as_array().size()) + " elements)");
      at = Value(at.as_array()[static_cast<std::size_t>(n)]);
    } else if (at.is_object() && args[i].is_string()) {
      const Value* member = at.find(args[i].as_string());
      if (!member) return fail(ErrorCode::not_found, "index: no key '" + args[i].as_string() + "'");
      at = Value(*member);
    } else {
      return fail(ErrorCode::invalid_input, "index of a " + std::string(at.is_array() ? "list" : "value") + " by '" +
                                                text_of(args[i]) + "'");
    }
  }
  return at;
}

const std::map<std::string, Function>& functions() {
  static const std::map<std::string, Function> all = [] {
    std::map<std::string, Function> f;
    const auto string_function = [](std::string name, std::function<std::string(std::string)> apply) {
      return [name, apply](const std::vector<Value>& args) -> Result<Value> {
        if (auto checked = need(name, args, 1); !checked.ok()) return checked;
        return Value(apply(text_of(args[0])));
      };
    };
    f["index"] = index_into;
    // Go changes the case of every Unicode letter; driftless only of ASCII
    // text, and refuses other text rather than leave its letters as they are.
    const auto ascii_case = [](std::string name, int (*change)(int)) {
      return [name, change](const std::vector<Value>& args) -> Result<Value> {
        if (auto checked = need(name, args, 1); !checked.ok()) return checked;
        std::string s = text_of(args[0]);
        if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
          return fail(ErrorCode::invalid_input, name + " of text that is not ASCII is not supported");
        std::transform(s.begin(), s.end(), s.begin(), [change](unsigned char c) { return static_cast<char>(change(c)); });
        return Value(s);
      };
    };
    f["lower"] = ascii_case("lower", ::tolower);
    f["upper"] = ascii_case("upper", ::toupper);
    f["trim"] = string_function("trim", [](std::string s) {
      const auto first = s.find_first_not_of(" \t\r\n\v\f");
      return first == std::string::npos ? std::string() : s.substr(first, s.find_last_not_of(" \t\r\n\v\f") - first + 1);
    });
    f["normalize"] = string_function("normalize", sanitized_name);
    f["trimPrefix"] = [](const std::vector<Value>& args) -> Result<Value> {
      if (auto checked = need("trimPrefix", args, 2); !checked.ok()) return checked;
      const std::string prefix = text_of(args[0]), s = text_of(args[1]);
      return Value(s.starts_with(prefix) ? s.substr(prefix.size()) : s);
    };
    f["trimSuffix"] = [](const std::vector<Value>& args) -> Result<Value> {
      if (auto checked = need("trimSuffix", args, 2); !checked.ok()) return checked;
      const std::string suffix = text_of(args[0]), s = text_of(args[1]);
      return Value(s.ends_with(suffix) ? s.substr(0, s.size() - suffix.size()) : s);
    };
    f["replace"] = [](const std::vector<Value>& args) -> Result<Value> {
      if (auto checked = need("replace", args, 3); !checked.ok()) return checked;
      const std::string from = text_of(args[0]), to = text_of(args[1]);
      std::string s = text_of(args[2]), out;
      if (from.empty()) return Value(s);
      std::size_t count = 0;
      for (auto found = s.find(from); found != std::string::npos; found = s.find(from, found + from.size())) ++count;
      if (to.size() > from.size() && count * (to.size() - from.size()) > kMaxResult - std::min(kMaxResult, s.size()))
        return fail(ErrorCode::invalid_input, "replace would make more than " + std::to_string(kMaxResult) + " bytes");
      std::size_t at = 0;
      for (auto found = s.find(from); found != std::string::npos; found = s.find(from, at)) {
        out += s.substr(at, found - at) + to;
        at = found + from.size();
      }
      return Value(out + s.substr(at));
    };
    f["trunc"] = [](const std::vector<Value>& args) -> Result<Value> {
      if (auto checked = need("trunc", args, 2); !checked.ok()) return checked;
      if (!args[0].is_int()) return fail(ErrorCode::invalid_input, "trunc takes a length first");
      const auto n = args[0].as_int();
      const std::string s = text_of(args[1]);
      const auto size = static_cast<std::int64_t>(s.size());
      if (n < 0 && size + n > 0) return Value(s.substr(static_cast<std::size_t>(size + n)));
      if (n >= 0 && size > n) return Value(s.substr(0, static_cast<std::size_t>(n)));
      return Value(s);
    };
    f["default"] = [](const std::vector<Value>& args) -> Result<Value> {
      if (args.size() == 1) return args[0];  // sprig: `default "x"` of nothing given is "x"
      if (auto checked = need("default", args, 2); !checked.ok()) return checked;
      return empty(args[1]) ? args[0] : args[1];
    };
    return f;
  }();
  return all;
}

// One command of a pipeline: a value alone, or a function and its arguments
// (then the value piped in, when there is one).
Result<Value> run_command(const std::vector<Token>& command, const Value& data, const std::optional<Value>& piped) {
  if (command.empty()) return fail(ErrorCode::invalid_input, "an empty command");
  std::vector<Value> args;
  for (std::size_t i = command.front().kind == Token::Kind::name ? 1 : 0; i < command.size(); ++i) {
    const Token& token = command[i];
    if (token.kind == Token::Kind::field) {
      auto value = field_of(token.text, data);
      if (!value.ok()) return value.error();
      args.push_back(std::move(*value));
    } else if (token.kind == Token::Kind::string) {
      args.emplace_back(token.text);
    } else if (token.kind == Token::Kind::number) {
      args.emplace_back(token.number);
    } else {
      return fail(ErrorCode::invalid_input, "'" + token.text + "' where a value belongs");
    }
  }
  if (piped) args.push_back(*piped);
  if (command.front().kind != Token::Kind::name) {
    if (args.size() != 1) return fail(ErrorCode::invalid_input, "a value followed by more values");
    return args.front();
  }
  const std::string& name = command.front().text;
  auto function = functions().find(name);
  if (function == functions().end())
    return fail(ErrorCode::invalid_input, "the function '" + name + "' is not supported (index, lower, upper, trim, "
                                          "trimPrefix, trimSuffix, replace, trunc, default and normalize are)");
  return function->second(args);
}

}  // namespace

std::string text_of(const Value& value) {
  if (value.is_string()) return value.as_string();
  return value.is_null() ? "" : to_json(value);
}

std::string sanitized_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(lower)) || lower == '-' || lower == '.') ? lower : '-';
  }
  out.resize(std::min<std::size_t>(out.size(), 253));
  const auto first = out.find_first_not_of("-.");
  return first == std::string::npos ? "" : out.substr(first, out.find_last_not_of("-.") - first + 1);
}

Result<Value> evaluate_action(std::string_view action, const Value& data) {
  auto tokens = tokens_of(action);
  if (!tokens.ok()) return tokens.error();
  std::optional<Value> value;
  std::vector<Token> command;
  for (std::size_t i = 0; i <= tokens->size(); ++i) {
    if (i < tokens->size() && (*tokens)[i].kind != Token::Kind::pipe) {
      command.push_back((*tokens)[i]);
      continue;
    }
    auto result = run_command(command, data, value);
    if (!result.ok()) return result.error();
    value = std::move(*result);
    command.clear();
  }
  return *value;
}

}  // namespace driftless::renderers
