#include "sync_role.hpp"

#include <charconv>
#include <map>
#include <optional>

namespace driftless::hooks {
namespace {

constexpr const char* kArgoHook = "argocd.argoproj.io/hook";
constexpr const char* kArgoWave = "argocd.argoproj.io/sync-wave";
constexpr const char* kArgoDeletePolicy = "argocd.argoproj.io/hook-delete-policy";
constexpr const char* kHelmHook = "helm.sh/hook";
constexpr const char* kHelmWeight = "helm.sh/hook-weight";
constexpr const char* kHelmDeletePolicy = "helm.sh/hook-delete-policy";

// The hook types driftless runs, by annotation value; Helm's as Argo CD maps them.
const std::map<std::string, Phase, std::less<>>& argo_phases() {
  static const std::map<std::string, Phase, std::less<>> phases{
      {"PreSync", Phase::pre_sync}, {"Sync", Phase::sync}, {"PostSync", Phase::post_sync}, {"SyncFail", Phase::sync_fail}};
  return phases;
}
const std::map<std::string, Phase, std::less<>>& helm_phases() {
  static const std::map<std::string, Phase, std::less<>> phases{{"pre-install", Phase::pre_sync},
                                                                {"pre-upgrade", Phase::pre_sync},
                                                                {"post-install", Phase::post_sync},
                                                                {"post-upgrade", Phase::post_sync}};
  return phases;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    start = end + 1;
  }
  return items;
}

const std::string* annotation(const KubeObject& object, const char* key) {
  const Value* annotations = object.body.at_path({"metadata", "annotations"});
  if (!annotations || !annotations->is_object()) return nullptr;
  const Value* value = annotations->find(key);
  return value && value->is_string() ? &value->as_string() : nullptr;
}

std::optional<int> parse_wave(const std::string& text) {
  int wave = 0;
  const char* end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data() + (text.starts_with('+') ? 1 : 0), end, wave);
  if (ec != std::errc() || at != end || text.empty()) return std::nullopt;
  return wave;
}

void read_delete_policy(const std::string* text, bool helm, SyncRole& role) {
  if (!text) {
    role.delete_policy.before_creation = true;  // Argo CD's default, and Helm's
    return;
  }
  for (const auto& policy : split_list(*text)) {
    if (policy == (helm ? "before-hook-creation" : "BeforeHookCreation")) role.delete_policy.before_creation = true;
    else if (policy == (helm ? "hook-succeeded" : "HookSucceeded")) role.delete_policy.succeeded = true;
    else if (policy == (helm ? "hook-failed" : "HookFailed")) role.delete_policy.failed = true;
    else
      role.error = std::string(helm ? kHelmDeletePolicy : kArgoDeletePolicy) + " '" + *text + "' names '" + policy +
                   "', which is none of " +
                   (helm ? "before-hook-creation, hook-succeeded, hook-failed"
                         : "BeforeHookCreation, HookSucceeded, HookFailed");
  }
}

}  // namespace

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::pre_sync: return "PreSync";
    case Phase::sync: return "Sync";
    case Phase::post_sync: return "PostSync";
    case Phase::sync_fail: return "SyncFail";
  }
  return "";
}

bool SyncRole::has(Phase phase) const {
  for (Phase p : phases)
    if (p == phase) return true;
  return false;
}

std::string phase_list(const std::vector<Phase>& phases) {
  std::string text;
  for (Phase phase : phases) text += (text.empty() ? "" : ",") + std::string(to_string(phase));
  return text;
}

std::string hook_id(const KubeObject& object) {
  if (!object.name().empty()) return object.id();
  const Value* generate = object.body.at_path({"metadata", "generateName"});
  const std::string ns = object.namespace_name();
  return object.kind() + "/" + (ns.empty() ? "" : ns + "/") +
         (generate && generate->is_string() ? generate->as_string() : std::string()) + "*";
}

SyncRole sync_role(const KubeObject& object) {
  SyncRole role;
  const std::string* argo = annotation(object, kArgoHook);
  const std::string* helm = argo ? nullptr : annotation(object, kHelmHook);
  const std::string* wave = annotation(object, kArgoWave);
  if (!wave && helm) wave = annotation(object, kHelmWeight);
  if (wave) {
    if (auto parsed = parse_wave(*wave)) role.wave = *parsed;
    else role.error = std::string(annotation(object, kArgoWave) ? kArgoWave : kHelmWeight) + " '" + *wave +
                      "' is not a whole number";
  }
  if (!argo && !helm) return role;
  role.hook = std::string(argo ? kArgoHook : kHelmHook) + ": " + (argo ? *argo : *helm);
  bool skip = false;
  for (const auto& type : split_list(argo ? *argo : *helm)) {
    const auto& known = argo ? argo_phases() : helm_phases();
    if (auto it = known.find(type); it != known.end()) {
      if (!role.has(it->second)) role.phases.push_back(it->second);
    } else if (argo && type == "Skip") {
      skip = true;
    } else if (helm && type == "crd-install") {
      continue;  // Helm 2's CRD hook: an ordinary object, as in Argo CD
    } else {
      role.ignored.push_back(type);
    }
  }
  if (skip) {
    role.phases.clear();
    role.skipped = "it is marked Skip: no sync applies it";
  } else if (role.phases.empty() && !role.ignored.empty()) {
    role.skipped = "driftless runs only PreSync, Sync, PostSync and SyncFail hooks (Helm's pre- and post-install and "
                   "-upgrade), so no sync applies it";
  } else if (role.phases.empty()) {
    role.hook.clear();  // crd-install only: an ordinary object
    return role;
  }
  read_delete_policy(annotation(object, argo ? kArgoDeletePolicy : kHelmDeletePolicy), helm != nullptr, role);
  return role;
}

}  // namespace driftless::hooks
