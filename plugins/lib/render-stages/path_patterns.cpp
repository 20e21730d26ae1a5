#include "path_patterns.hpp"

#include <fnmatch.h>

#include <sstream>

#include "driftless/toolkit/files.hpp"

namespace driftless::renderers {
namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  std::string part;
  std::stringstream in{std::string(path)};
  while (std::getline(in, part, '/'))
    if (!part.empty()) out.push_back(part);
  return out;
}

bool match_segments(const std::vector<std::string>& pattern, std::size_t p, const std::vector<std::string>& path, std::size_t s) {
  if (p == pattern.size()) return s == path.size();
  if (pattern[p] == "**") {
    // A trailing "**" matches what is inside, never the folder itself.
    const std::size_t from = p + 1 == pattern.size() ? s + 1 : s;
    for (std::size_t k = from; k <= path.size(); ++k)
      if (match_segments(pattern, p + 1, path, k)) return true;
    return false;
  }
  if (s == path.size() || fnmatch(pattern[p].c_str(), path[s].c_str(), 0) != 0) return false;
  return match_segments(pattern, p + 1, path, s + 1);
}

constexpr std::uintmax_t kMaxIgnoreFile = 1024 * 1024;

}  // namespace

std::optional<PathPattern> PathPattern::parse(std::string_view line, std::string base) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return std::nullopt;
  PathPattern pattern;
  pattern.base_ = std::move(base);
  if (line.front() == '!') {
    pattern.negated_ = true;
    line.remove_prefix(1);
  } else if (line.front() == '\\') {
    line.remove_prefix(1);  // "\#" and "\!" stand for the character itself
  }
  if (!line.empty() && line.back() == '/') {
    pattern.folders_only_ = true;
    line.remove_suffix(1);
  }
  // "./x" is "x here", as "/x" is; "." segments mean nothing; ".." cannot
  // match inside the folder, so it is no pattern.
  pattern.anchored_ = line.find('/') != std::string_view::npos;
  for (auto& segment : split(line)) {
    if (segment == "..") return std::nullopt;
    if (segment != ".") pattern.segments_.push_back(std::move(segment));
  }
  if (pattern.segments_.empty()) return std::nullopt;
  return pattern;
}

bool PathPattern::matches(const std::string& path, bool is_folder) const {
  if (folders_only_ && !is_folder) return false;
  std::string_view rest(path);
  if (!base_.empty()) {
    if (rest.substr(0, base_.size()) != base_ || rest.size() <= base_.size() || rest[base_.size()] != '/') return false;
    rest.remove_prefix(base_.size() + 1);
  }
  const auto parts = split(rest);
  if (parts.empty()) return false;
  if (!anchored_) return fnmatch(segments_.front().c_str(), parts.back().c_str(), 0) == 0;
  return match_segments(segments_, 0, parts, 0);
}

bool any_matches(const std::vector<PathPattern>& patterns, const std::string& path) {
  for (const auto& p : patterns)
    if (p.matches(path, false)) return true;
  return false;
}

void IgnoreRules::load(const std::filesystem::path& root, const std::string& top, const std::string& folder,
                       std::vector<Diagnostic>& diagnostics) {
  const std::string file = folder.empty() ? ".driftlessignore" : folder + "/.driftlessignore";
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(root / file, ec))) return;
  auto text = read_inside(root, file, kMaxIgnoreFile);
  if (!text.ok()) {
    diagnostics.push_back({Severity::error, text.error().message, file, 0, {}});
    return;
  }
  std::stringstream lines(*text);
  for (std::string line; std::getline(lines, line);)
    if (auto pattern = PathPattern::parse(line, relative_to(top, folder))) rules_.push_back(std::move(*pattern));
}

bool IgnoreRules::ignored(const std::string& path, bool is_folder) const {
  bool ignored = false;
  for (const auto& rule : rules_)
    if (rule.matches(path, is_folder)) ignored = !rule.negated();
  return ignored;
}

std::string relative_to(const std::string& top, const std::string& path) {
  if (top.empty()) return path;
  if (path == top) return {};
  return path.substr(top.size() + 1);
}

}  // namespace driftless::renderers
