// Semantic versions (semver.org 2.0) and version ranges in the syntax Flux and
// Helm accept (Masterminds semver): ">=1.0.0 <2.0.0", "^1.2", "~1.2.3", "1.x",
// "*", "1.2 - 1.4", alternatives joined with "||". Used to pick the highest
// Git tag or chart version inside a range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/result.hpp"

namespace driftless {

/// One version: MAJOR.MINOR.PATCH[-prerelease][+build]; a leading "v" is accepted.
struct SemVer {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::vector<std::string> prerelease;  ///< dot-separated identifiers, empty for a release
  std::string build;                    ///< ignored when comparing

  /// Parses a full version ("1.2.3", "v1.2.3-rc.1+abc"); nullopt when it is not one.
  static std::optional<SemVer> parse(std::string_view text);
  /// Precedence as semver.org defines it: <0, 0 or >0.
  int compare(const SemVer& other) const;
  bool operator<(const SemVer& other) const { return compare(other) < 0; }
  bool operator==(const SemVer& other) const { return compare(other) == 0; }
  /// "1.2.3-rc.1" (without build metadata and without a "v").
  std::string to_string() const;
};

/// A set of versions written as a range expression.
class SemVerRange {
 public:
  /// Parses a range; the error says which part is not understood.
  static Result<SemVerRange> parse(std::string_view text);
  /// True when `version` lies in the range. Prereleases match only when the
  /// range itself names a prerelease (so "^1.2" never picks "1.3.0-rc.1").
  bool matches(const SemVer& version) const;
  /// The range as written.
  const std::string& text() const { return text_; }

  /// One bound: version op (op is one of "<", "<=", ">", ">=", "=", "!=").
  struct Bound {
    std::string op;
    SemVer version;
  };

 private:
  std::string text_;
  std::vector<std::vector<Bound>> alternatives_;  ///< OR of ANDs
  bool allows_prerelease_ = false;
};

/// Index of the highest entry of `candidates` (version strings such as Git tag
/// names; entries that are not versions are skipped) that `range` accepts, or
/// nullopt when none does.
std::optional<std::size_t> highest_match(const SemVerRange& range, const std::vector<std::string>& candidates);

}  // namespace driftless
