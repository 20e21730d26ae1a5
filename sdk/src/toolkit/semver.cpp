#include "driftless/toolkit/semver.hpp"

#include <algorithm>
#include <charconv>

namespace driftless {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> number(std::string_view s) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == separator) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool valid_identifiers(const std::vector<std::string_view>& parts) {
  return std::all_of(parts.begin(), parts.end(), [](std::string_view p) {
    return !p.empty() && std::all_of(p.begin(), p.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    });
  });
}

int compare_identifier(const std::string& a, const std::string& b) {
  const bool a_num = all_digits(a);
  const bool b_num = all_digits(b);
  if (a_num && b_num) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  }
  if (a_num != b_num) return a_num ? -1 : 1;  // numeric identifiers sort first
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

// A version as written in a range: "1", "1.2", "1.x", "1.2.3-rc.1", "*".
struct Partial {
  SemVer version;  // missing components are 0
  int given = 0;   // how many numeric components were written before a wildcard
};

bool wildcard(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

std::optional<Partial> parse_partial(std::string_view text) {
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  if (text.empty() || wildcard(text)) return Partial{};
  std::string_view core = text;
  std::string_view rest;
  if (auto cut = text.find_first_of("-+"); cut != std::string_view::npos) {
    core = text.substr(0, cut);
    rest = text.substr(cut);
  }
  auto parts = split(core, '.');
  if (parts.size() > 3) return std::nullopt;
  Partial p;
  std::uint64_t* fields[] = {&p.version.major, &p.version.minor, &p.version.patch};
  bool seen_wildcard = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (wildcard(parts[i])) {
      seen_wildcard = true;
      continue;
    }
    auto n = number(parts[i]);
    if (!n || seen_wildcard) return std::nullopt;
    *fields[i] = *n;
    p.given = static_cast<int>(i) + 1;
  }
  if (!rest.empty()) {
    if (p.given != 3) return std::nullopt;  // a prerelease needs a full version
    auto full = SemVer::parse(text);
    if (!full) return std::nullopt;
    p.version = *full;
  }
  return p;
}

SemVer make(std::uint64_t major, std::uint64_t minor, std::uint64_t patch) {
  SemVer v;
  v.major = major;
  v.minor = minor;
  v.patch = patch;
  return v;
}

// First version above everything the partial covers: 1.x -> 2.0.0, 1.2 -> 1.3.0.
SemVer upper(const Partial& p) {
  const SemVer& v = p.version;
  if (p.given == 1) return make(v.major + 1, 0, 0);
  return make(v.major, v.minor + 1, 0);
}

using Bound = SemVerRange::Bound;

Result<std::vector<Bound>> bounds_for(const std::string& op, const Partial& p, const std::string& written) {
  const SemVer& v = p.version;
  std::vector<Bound> out;
  auto range = [&](const SemVer& low, const SemVer& high) {
    out.push_back({">=", low});
    out.push_back({"<", high});
  };
  if (p.given == 0) {
    if (op.empty() || op == "=" || op == ">=" || op == "<=" || op == "~" || op == "~>" || op == "^") return out;
    return fail(ErrorCode::invalid_input, "'" + written + "' matches no version");
  }
  if (op.empty() || op == "=") {
    if (p.given == 3) out.push_back({"=", v});
    else range(v, upper(p));
  } else if (op == "!=") {
    if (p.given != 3) return fail(ErrorCode::invalid_input, "'" + written + "': != needs a full version (1.2.3)");
    out.push_back({"!=", v});
  } else if (op == ">") {
    out.push_back(p.given == 3 ? Bound{">", v} : Bound{">=", upper(p)});
  } else if (op == ">=") {
    out.push_back({">=", v});
  } else if (op == "<") {
    out.push_back({"<", v});
  } else if (op == "<=") {
    out.push_back(p.given == 3 ? Bound{"<=", v} : Bound{"<", upper(p)});
  } else if (op == "~" || op == "~>") {
    range(v, p.given == 1 ? make(v.major + 1, 0, 0) : make(v.major, v.minor + 1, 0));
  } else if (op == "^") {
    if (v.major > 0 || p.given == 1) range(v, make(v.major + 1, 0, 0));
    else if (v.minor > 0 || p.given == 2) range(v, make(0, v.minor + 1, 0));
    else range(v, make(0, 0, v.patch + 1));
  } else {
    return fail(ErrorCode::invalid_input, "'" + written + "': unknown operator '" + op + "'");
  }
  return out;
}

bool satisfies(const Bound& b, const SemVer& v) {
  const int c = v.compare(b.version);
  if (b.op == "=") return c == 0;
  if (b.op == "!=") return c != 0;
  if (b.op == ">") return c > 0;
  if (b.op == ">=") return c >= 0;
  if (b.op == "<") return c < 0;
  return c <= 0;  // "<="
}

// "1.2 - 1.4", ">=1.0 <2", ">= 1.0, < 2": one AND group.
Result<std::vector<Bound>> parse_group(std::string_view group) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : group) {
    if (c == ' ' || c == '\t' || c == ',') {
      if (!current.empty()) tokens.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) tokens.push_back(current);
  std::vector<Bound> out;
  auto append = [&](Result<std::vector<Bound>> more) -> Result<void> {
    if (!more.ok()) return more.error();
    out.insert(out.end(), more->begin(), more->end());
    return {};
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i + 2 < tokens.size() && tokens[i + 1] == "-") {  // hyphen range
      auto low = parse_partial(tokens[i]);
      auto high = parse_partial(tokens[i + 2]);
      if (!low || !high) return fail(ErrorCode::invalid_input, "'" + tokens[i] + " - " + tokens[i + 2] + "' is not a version range");
      if (auto r = append(bounds_for(">=", *low, tokens[i])); !r.ok()) return r.error();
      if (auto r = append(bounds_for("<=", *high, tokens[i + 2])); !r.ok()) return r.error();
      i += 2;
      continue;
    }
    std::string token = tokens[i];
    std::size_t op_length = token.find_first_not_of("<>=!~^");
    if (op_length == std::string::npos) {  // operator written apart: ">= 1.2"
      if (i + 1 >= tokens.size()) return fail(ErrorCode::invalid_input, "'" + token + "' is missing its version");
      token += tokens[++i];
      op_length = token.find_first_not_of("<>=!~^");
    }
    const std::string op = token.substr(0, op_length);
    auto partial = parse_partial(std::string_view(token).substr(op_length));
    if (!partial) return fail(ErrorCode::invalid_input, "'" + token + "' is not a version or a comparison with one");
    if (auto r = append(bounds_for(op, *partial, token)); !r.ok()) return r.error();
  }
  return out;
}

}  // namespace

std::optional<SemVer> SemVer::parse(std::string_view text) {
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  SemVer v;
  if (auto plus = text.find('+'); plus != std::string_view::npos) {
    auto build = text.substr(plus + 1);
    if (!valid_identifiers(split(build, '.'))) return std::nullopt;
    v.build = std::string(build);
    text = text.substr(0, plus);
  }
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto pre = split(text.substr(dash + 1), '.');
    if (!valid_identifiers(pre)) return std::nullopt;
    for (auto p : pre) {
      if (all_digits(p) && p.size() > 1 && p[0] == '0') return std::nullopt;
      v.prerelease.emplace_back(p);
    }
    text = text.substr(0, dash);
  }
  auto parts = split(text, '.');
  if (parts.size() != 3) return std::nullopt;
  auto major = number(parts[0]);
  auto minor = number(parts[1]);
  auto patch = number(parts[2]);
  if (!major || !minor || !patch) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  return v;
}

int SemVer::compare(const SemVer& other) const {
  if (major != other.major) return major < other.major ? -1 : 1;
  if (minor != other.minor) return minor < other.minor ? -1 : 1;
  if (patch != other.patch) return patch < other.patch ? -1 : 1;
  if (prerelease.empty() != other.prerelease.empty()) return prerelease.empty() ? 1 : -1;
  for (std::size_t i = 0; i < prerelease.size() && i < other.prerelease.size(); ++i)
    if (int c = compare_identifier(prerelease[i], other.prerelease[i]); c != 0) return c;
  if (prerelease.size() != other.prerelease.size()) return prerelease.size() < other.prerelease.size() ? -1 : 1;
  return 0;
}

std::string SemVer::to_string() const {
  std::string out = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (std::size_t i = 0; i < prerelease.size(); ++i) out += (i == 0 ? "-" : ".") + prerelease[i];
  return out;
}

Result<SemVerRange> SemVerRange::parse(std::string_view text) {
  SemVerRange range;
  range.text_ = std::string(text);
  std::size_t start = 0;
  while (true) {
    std::size_t bar = text.find("||", start);
    auto group = parse_group(text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (!group.ok()) return fail(ErrorCode::invalid_input, "version range '" + range.text_ + "': " + group.error().message);
    for (const auto& bound : *group)
      if (!bound.version.prerelease.empty()) range.allows_prerelease_ = true;
    range.alternatives_.push_back(std::move(*group));
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  return range;
}

bool SemVerRange::matches(const SemVer& version) const {
  if (!version.prerelease.empty() && !allows_prerelease_) return false;
  return std::any_of(alternatives_.begin(), alternatives_.end(), [&](const std::vector<Bound>& group) {
    return std::all_of(group.begin(), group.end(), [&](const Bound& b) { return satisfies(b, version); });
  });
}

std::optional<std::size_t> highest_match(const SemVerRange& range, const std::vector<std::string>& candidates) {
  std::optional<std::size_t> best;
  std::optional<SemVer> best_version;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    auto v = SemVer::parse(candidates[i]);
    if (!v || !range.matches(*v)) continue;
    if (!best_version || *best_version < *v) {
      best = i;
      best_version = v;
    }
  }
  return best;
}

}  // namespace driftless
