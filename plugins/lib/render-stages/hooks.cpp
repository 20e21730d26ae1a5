#include "hooks.hpp"

#include <algorithm>
#include <utility>

namespace driftless::renderers {
namespace {

// What the user can do instead depends on the kind of hook.
std::string why_not_applied(const std::string& hook) {
  if (hook.rfind("helm.sh/hook", 0) != 0) return "driftless runs no hooks and does not apply it";
  if (hook.find("test") != std::string::npos) return "driftless runs no helm tests and does not apply it";
  return "driftless runs no hooks and does not apply it; the helmrelease renderer runs a chart's hooks (helm upgrade "
         "--install)";
}

}  // namespace

std::string hook_annotation(const KubeObject& object) {
  const Value* annotations = object.body.at_path({"metadata", "annotations"});
  if (!annotations || !annotations->is_object()) return {};
  for (const char* key : {"helm.sh/hook", "argocd.argoproj.io/hook"})
    if (const Value* value = annotations->find(key); value && value->is_string())
      return std::string(key) + ": " + value->as_string();
  return {};
}

std::size_t skip_hooks(std::vector<KubeObject>& objects, std::vector<Diagnostic>& diagnostics, std::size_t from) {
  std::size_t kept = std::min(from, objects.size());
  const std::size_t total = objects.size();
  for (std::size_t i = kept; i < total; ++i) {
    const std::string hook = hook_annotation(objects[i]);
    if (hook.empty()) {
      if (kept != i) objects[kept] = std::move(objects[i]);
      ++kept;
      continue;
    }
    diagnostics.push_back({Severity::warning, "the object is a hook (" + hook + "); " + why_not_applied(hook),
                           objects[i].origin.file, objects[i].origin.line, objects[i].id()});
  }
  objects.erase(objects.begin() + static_cast<std::ptrdiff_t>(kept), objects.end());
  return total - kept;
}

}  // namespace driftless::renderers
