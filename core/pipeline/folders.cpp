#include <fnmatch.h>

#include <algorithm>
#include <sstream>

#include "pipeline/expansion.hpp"

namespace driftless::core {
namespace {

// "clusters/*", "./clusters//*" -> {"clusters", "*"}.
std::vector<std::string> segments_of(const std::string& glob) {
  std::vector<std::string> segments;
  std::stringstream in(glob);
  for (std::string part; std::getline(in, part, '/');)
    if (!part.empty() && part != ".") segments.push_back(part);
  return segments;
}

}  // namespace

std::vector<std::string> match_folders(const std::filesystem::path& root, const std::string& glob) {
  std::vector<std::string> current{""};
  for (const auto& segment : segments_of(glob)) {
    std::vector<std::string> next;
    for (const auto& base : current) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(root / base, ec)) {
        const std::string name = entry.path().filename().string();
        // A repository must not steer a pipeline out of its tree through a link.
        if (name.empty() || name[0] == '.' || entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
        if (fnmatch(segment.c_str(), name.c_str(), FNM_PERIOD) == 0) next.push_back(base.empty() ? name : base + "/" + name);
      }
    }
    current = std::move(next);
  }
  std::sort(current.begin(), current.end());
  return current;
}

bool folder_matches(const std::string& glob, const std::string& path) {
  const auto patterns = segments_of(glob);
  const auto names = segments_of(path);
  if (patterns.size() != names.size()) return false;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i][0] == '.' || fnmatch(patterns[i].c_str(), names[i].c_str(), FNM_PERIOD) != 0) return false;
  return true;
}

}  // namespace driftless::core
