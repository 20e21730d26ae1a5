#include "refs.hpp"

#include <algorithm>

namespace driftless::git {
namespace {

const std::string heads = "refs/heads/";
const std::string tags = "refs/tags/";
const std::string peeled = "^{}";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Names below `prefix`, without it, peeled duplicates left out.
std::vector<std::string> names_under(const AdvertisedRefs& advertised, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& [name, id] : advertised)
    if (name.rfind(prefix, 0) == 0 && !ends_with(name, peeled)) out.push_back(name.substr(prefix.size()));
  return out;
}

std::string listing(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 20; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 20) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

// The commit of a tag: its peeled entry for an annotated tag, else itself.
std::string tag_commit(const AdvertisedRefs& advertised, const std::string& tag) {
  auto p = advertised.find(tags + tag + peeled);
  return p != advertised.end() ? p->second : advertised.at(tags + tag);
}

std::string refspec(const std::string& full_name) { return "+" + full_name + ":" + full_name; }

// The branch the server's HEAD is on: the one at HEAD's commit (main, then
// master, then the first by name when several are); "" when none is.
std::string default_branch(const AdvertisedRefs& advertised) {
  const auto head = advertised.find("HEAD");
  if (head == advertised.end()) return {};
  std::vector<std::string> at_head;
  for (const auto& name : names_under(advertised, heads))
    if (advertised.at(heads + name) == head->second) at_head.push_back(name);
  for (const char* preferred : {"main", "master"})
    if (std::find(at_head.begin(), at_head.end(), preferred) != at_head.end()) return preferred;
  return at_head.empty() ? std::string() : at_head.front();
}

}  // namespace

std::vector<std::string> all_refspecs() { return {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}; }

Result<ResolvedRef> resolve_ref(const GitRef& ref, const AdvertisedRefs& advertised, const std::string& url) {
  ResolvedRef out;
  switch (ref.kind) {
    case RefKind::branch: {
      if (ref.value == "HEAD") {
        const std::string branch = default_branch(advertised);
        if (branch.empty())
          return fail(ErrorCode::not_found, url + " advertises no HEAD on a branch (branches: " +
                                                listing(names_under(advertised, heads)) + "); name the branch");
        return resolve_ref(GitRef{RefKind::branch, branch, std::nullopt}, advertised, url);
      }
      auto it = advertised.find(heads + ref.value);
      if (it == advertised.end())
        return fail(ErrorCode::not_found, "branch '" + ref.value + "' does not exist in " + url +
                                              " (branches: " + listing(names_under(advertised, heads)) + ")");
      out.label = ref.value;
      out.commit = it->second;
      out.refspecs = {refspec(heads + ref.value)};
      return out;
    }
    case RefKind::tag: {
      if (!advertised.count(tags + ref.value))
        return fail(ErrorCode::not_found, "tag '" + ref.value + "' does not exist in " + url +
                                              " (tags: " + listing(names_under(advertised, tags)) + ")");
      out.label = ref.value;
      out.commit = tag_commit(advertised, ref.value);
      out.refspecs = {refspec(tags + ref.value)};
      return out;
    }
    case RefKind::semver: {
      auto names = names_under(advertised, tags);
      auto best = highest_match(*ref.range, names);
      if (!best)
        return fail(ErrorCode::not_found, "no tag of " + url + " is a version in the range '" + ref.value +
                                              "' (tags: " + listing(names) + ")");
      out.label = names[*best];
      out.commit = tag_commit(advertised, out.label);
      out.refspecs = {refspec(tags + out.label)};
      return out;
    }
    case RefKind::commit:
      out.commit = ref.value;
      out.refspecs = all_refspecs();
      return out;
  }
  return fail(ErrorCode::internal, "unknown ref kind");
}

}  // namespace driftless::git
