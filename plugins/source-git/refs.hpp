// Choosing the commit to apply from what the server advertises (ls-remote):
// a branch head, a tag (annotated tags peeled), the highest tag in a semver
// range, or a pinned commit.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driftless/result.hpp"
#include "git_spec.hpp"

namespace driftless::git {

/// Refs as advertised: full name ("refs/heads/main") -> object id (hex);
/// annotated tags also appear peeled as "refs/tags/v1^{}".
using AdvertisedRefs = std::map<std::string, std::string>;

/// The commit a ref points at and how to fetch it.
struct ResolvedRef {
  std::string label;                  ///< "main", "v1.2.0"; "" for a pinned commit
  std::string commit;                 ///< 40 hex
  std::vector<std::string> refspecs;  ///< what to fetch into the mirror to get it
};

/// Resolves `ref` against the advertised refs of `url`. A missing branch or tag,
/// or no tag in the range, is not_found with the names that do exist.
Result<ResolvedRef> resolve_ref(const GitRef& ref, const AdvertisedRefs& advertised, const std::string& url);

/// Refspecs that bring every branch and tag (to find a pinned commit).
std::vector<std::string> all_refspecs();

}  // namespace driftless::git
