// gitignore-style path patterns, for include/exclude globs and .driftlessignore
// files: `*`, `?`, `[a-z]` inside one path segment, `**` across segments, a
// pattern without '/' matching a name at any depth, a leading '/' anchoring it,
// a trailing '/' matching folders only, and `!` re-including what an earlier
// pattern excluded.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/diagnostic.hpp"

namespace driftless::renderers {

class PathPattern {
 public:
  /// One line of an ignore file (or one glob); nullopt for blank and comment
  /// lines. `base` is the folder the pattern is relative to ("" = the top).
  static std::optional<PathPattern> parse(std::string_view line, std::string base = {});

  /// Whether `path` ('/'-separated, relative to the top) matches.
  bool matches(const std::string& path, bool is_folder) const;
  /// True for a "!pattern".
  bool negated() const { return negated_; }

 private:
  std::string base_;
  std::vector<std::string> segments_;
  bool anchored_ = false;
  bool folders_only_ = false;
  bool negated_ = false;
};

/// True when any pattern matches `path` (a file).
bool any_matches(const std::vector<PathPattern>& patterns, const std::string& path);

/// Ignore rules collected from .driftlessignore files while a tree is walked;
/// the last matching rule decides, as in git.
class IgnoreRules {
 public:
  /// Reads `folder`/.driftlessignore when there is one (safely: it must stay
  /// inside `root`). `folder` is relative to root; `top` is the folder the
  /// walk started in, which patterns are relative to.
  void load(const std::filesystem::path& root, const std::string& top, const std::string& folder,
            std::vector<Diagnostic>& diagnostics);
  /// Whether `path` (relative to top) is ignored.
  bool ignored(const std::string& path, bool is_folder) const;

 private:
  std::vector<PathPattern> rules_;
};

/// `path` relative to `top` (both relative to the artifact root, '/'-separated).
std::string relative_to(const std::string& top, const std::string& path);

}  // namespace driftless::renderers
