#include "driftless/toolkit/diff.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "driftless/toolkit/yaml.hpp"

namespace driftless {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

struct Edit {
  char op;  // ' ', '-', '+'
  std::string_view line;
};

// Longest-common-subsequence edit script; objects are small, so O(n*m) is fine
// up to a cap, past which the whole text counts as replaced.
std::vector<Edit> edit_script(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::vector<Edit> edits;
  const std::size_t n = a.size(), m = b.size();
  if (n * m > 16'000'000) {
    for (auto l : a) edits.push_back({'-', l});
    for (auto l : b) edits.push_back({'+', l});
    return edits;
  }
  std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) edits.push_back({' ', a[i++]}), ++j;
    else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) edits.push_back({'+', b[j++]});
    else edits.push_back({'-', a[i++]});
  }
  return edits;
}

// Live values become "***"; a desired value that differs from the live one
// becomes "*** (changed)", so a diff shows that a key changes, never to what.
void mask_secret_values(Value& live, Value& desired, const Value& live_original, const Value& desired_original) {
  for (const char* field : {"data", "stringData"}) {
    const Value* original_live = live_original.find(field);
    const Value* original_desired = desired_original.find(field);
    if (Value* l = live.find(field); l && l->is_object())
      for (auto& [k, v] : l->as_object()) v = Value("***");
    if (Value* d = desired.find(field); d && d->is_object())
      for (auto& [k, v] : d->as_object()) {
        const Value* was = original_live ? original_live->find(k) : nullptr;
        const Value* now = original_desired->find(k);
        v = Value(was && *was == *now ? "***" : "*** (changed)");
      }
  }
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, std::string_view label) {
  if (before == after) return {};
  auto a = split_lines(before), b = split_lines(after);
  auto edits = edit_script(a, b);
  std::ostringstream out;
  out << "--- " << label << " (live)\n+++ " << label << " (desired)\n";
  constexpr std::size_t context = 3;
  std::size_t k = 0;
  while (k < edits.size()) {
    // Find the next change, then emit a hunk around a run of nearby changes.
    while (k < edits.size() && edits[k].op == ' ') ++k;
    if (k == edits.size()) break;
    std::size_t start = k >= context ? k - context : 0;
    std::size_t end = k;
    std::size_t quiet = 0;
    while (end < edits.size() && quiet <= 2 * context) {
      quiet = edits[end].op == ' ' ? quiet + 1 : 0;
      ++end;
    }
    end -= std::min(quiet, end) > context ? quiet - context : 0;
    std::size_t a_line = 1, b_line = 1;
    for (std::size_t x = 0; x < start; ++x) {
      if (edits[x].op != '+') ++a_line;
      if (edits[x].op != '-') ++b_line;
    }
    std::size_t a_count = 0, b_count = 0;
    for (std::size_t x = start; x < end; ++x) {
      if (edits[x].op != '+') ++a_count;
      if (edits[x].op != '-') ++b_count;
    }
    out << "@@ -" << a_line << "," << a_count << " +" << b_line << "," << b_count << " @@\n";
    for (std::size_t x = start; x < end; ++x) out << edits[x].op << edits[x].line << "\n";
    k = end;
  }
  return out.str();
}

std::string object_diff(const Value& before, const Value& after, std::string_view label) {
  Value b = before, a = after;
  const bool secret = before.string_or("kind") == "Secret" || after.string_or("kind") == "Secret";
  if (secret) mask_secret_values(b, a, before, after);
  return unified_diff(b.is_null() ? "" : to_yaml(b), a.is_null() ? "" : to_yaml(a), label);
}

}  // namespace driftless
